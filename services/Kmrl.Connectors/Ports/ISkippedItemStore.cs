namespace Kmrl.Connectors.Ports;

/// <summary>
/// Records the items a sync moved past without handing them on: rejected by a filter (final) or dead-lettered after
/// repeated failures (for an operator to look at). The checkpoint then advances past them, so nothing retries forever.
/// </summary>
public interface ISkippedItemStore
{
    Task RecordRejectedAsync(RejectedItem item, CancellationToken cancellationToken);

    Task RecordDeadLetterAsync(DeadLetteredItem item, CancellationToken cancellationToken);
}

public sealed record RejectedItem(
    string Connector,
    string Source,
    string SourceId,
    string FileName,
    string Reason,
    DateTimeOffset RejectedAt);

public sealed record DeadLetteredItem(
    string Connector,
    string Source,
    string SourceId,
    string FileName,
    string Reason,
    int Attempts,
    DateTimeOffset DeadLetteredAt);
