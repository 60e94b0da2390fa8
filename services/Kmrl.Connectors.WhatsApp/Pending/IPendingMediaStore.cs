namespace Kmrl.Connectors.WhatsApp.Pending;

/// <summary>Where the webhook leaves media messages for the sync run to download.</summary>
public interface IPendingMediaStore
{
    /// <summary>
    /// Stores <paramref name="media"/> unless an entry with its message id exists (first write wins, whatever the
    /// existing entry's status), so redelivered webhooks change nothing. True when this call created it.
    /// </summary>
    Task<bool> AddAsync(PendingMedia media, CancellationToken cancellationToken);

    /// <summary>Entries still waiting, oldest first.</summary>
    Task<IReadOnlyList<PendingMediaEntry>> ListPendingAsync(CancellationToken cancellationToken);

    Task<PendingMediaEntry?> GetAsync(string messageId, CancellationToken cancellationToken);

    /// <summary>Counts an attempt (a download handed to the host, or a failed lookup); the entry stays pending.</summary>
    Task RecordAttemptAsync(string messageId, string? error, CancellationToken cancellationToken);

    Task MarkDoneAsync(string messageId, CancellationToken cancellationToken);

    Task MarkDeadLetteredAsync(string messageId, string reason, CancellationToken cancellationToken);
}
