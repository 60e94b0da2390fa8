namespace Kmrl.Connectors.Ports;

/// <summary>
/// The connector's dead letters as an operator sees them (<c>GET /connector/dead-letters</c>); what
/// <see cref="ISkippedItemStore.RecordDeadLetterAsync"/> recorded. Rejected items are not listed here: a rejection is
/// final (the filters said no), it is logged, counted and shown on <c>/connector/status</c>.
/// </summary>
public interface IDeadLetterLog
{
    /// <summary>Every dead letter of <paramref name="connector"/>, newest first.</summary>
    Task<IReadOnlyList<StoredDeadLetter>> ListAsync(string connector, CancellationToken cancellationToken);

    Task<StoredDeadLetter?> GetAsync(string connector, string id, CancellationToken cancellationToken);

    /// <summary>Removes the dead letter (it was replayed); removing a missing one is success.</summary>
    Task RemoveAsync(string connector, string id, CancellationToken cancellationToken);
}

/// <param name="Id">Stable per source and source id, URL-safe: what the replay route takes.</param>
public sealed record StoredDeadLetter(string Id, DeadLetteredItem Item);
