namespace Kmrl.DocumentApi.Ports;

/// <summary>Who acknowledged a document's deadline, and when; <see cref="Via"/> is how (Contracts' DeadlineAcknowledged.Via*, null before it was kept).</summary>
public sealed record DeadlineAcknowledgement(string DocumentId, DateOnly Deadline, string By, DateTimeOffset At, string? Via = null);

/// <summary>
/// Acknowledgements of deadlines: recorded once per document and deadline (the first person to acknowledge it).
/// document-api owns this record, beside the document its pages show it on; each acknowledgement is announced on
/// pub/sub (DeadlineAcknowledged), so the notifications service stops reminding.
/// </summary>
public interface IDeadlineAcknowledgements
{
    /// <summary>Records the acknowledgement unless one is recorded; returns the one that stands.</summary>
    Task<DeadlineAcknowledgement> AcknowledgeAsync(DeadlineAcknowledgement acknowledgement, CancellationToken cancellationToken);

    Task<IReadOnlyList<DeadlineAcknowledgement>> ForAsync(string documentId, IReadOnlyList<DateOnly> deadlines, CancellationToken cancellationToken);
}

/// <summary>When a person last opened a department's inbox ("new since I last looked").</summary>
public interface IInboxVisits
{
    Task<DateTimeOffset?> LastVisitAsync(string person, string department, CancellationToken cancellationToken);

    Task RecordVisitAsync(string person, string department, DateTimeOffset at, CancellationToken cancellationToken);
}
