using Kmrl.BuildingBlocks.PubSub;
using Kmrl.Connectors.Dapr;
using Kmrl.Connectors.Observability;
using Kmrl.Connectors.Ports;
using Kmrl.Contracts;
using Microsoft.Extensions.Logging;

namespace Kmrl.Connectors.Sync;

/// <summary>
/// Records an item a run moves past without handing it on: rejected (a filter said no; final) or dead-lettered (the
/// source could not give it after its attempts; for an operator), in the store, the status page and the metrics. A
/// dead letter is also announced (<see cref="ConnectorItemDeadLettered"/>), so the notifications service tells the
/// operations contacts once per incident; the announcement goes after the store write and through the same retry, so
/// a failing pub/sub fails the run and the rerun dead-letters and announces the item again (at least once).
/// </summary>
internal sealed class SkippedItemRecorder(
    ISkippedItemStore store,
    IEventPublisher publisher,
    InfrastructureRetry retry,
    ConnectorMetrics metrics,
    ConnectorStatusRegistry status,
    TimeProvider timeProvider,
    ILogger<SkippedItemRecorder> logger)
{
    public async Task RejectAsync(SyncRunContext run, string sourceId, string fileName, string reason)
    {
        var at = timeProvider.GetUtcNow();
        var item = new RejectedItem(run.Connector, run.SourceName, sourceId, fileName, reason, at);
        await retry.RunAsync(run, "record a rejection", () => store.RecordRejectedAsync(item, run.Token));
        run.Counts.AddRejected();
        metrics.Rejected(run.SourceName);
        status.ItemSkipped(run.SourceName, new SkippedItem("rejected", item.SourceId, item.FileName, reason, 0, at));
        logger.LogInformation("Document {SourceId} ({FileName}) of {Source} rejected: {Reason}", item.SourceId, item.FileName, run.SourceName, reason);
    }

    public async Task DeadLetterAsync(SyncRunContext run, string sourceId, string fileName, string reason, int attempts)
    {
        var at = timeProvider.GetUtcNow();
        var item = new DeadLetteredItem(run.Connector, run.SourceName, sourceId, fileName, reason, attempts, at);
        await retry.RunAsync(run, "record a dead letter", () => store.RecordDeadLetterAsync(item, run.Token));
        var announced = new ConnectorItemDeadLettered(run.Connector, run.SourceName, StateKeys.DeadLetterId(run.SourceName, sourceId), sourceId,
            fileName, reason, attempts, at);
        await retry.RunAsync(run, "announce a dead letter", () => publisher.PublishAsync(DaprNames.Topics.ConnectorItemDeadLettered, announced, run.Token));
        run.Counts.AddDeadLettered();
        metrics.DeadLettered(run.SourceName);
        status.ItemSkipped(run.SourceName, new SkippedItem("dead-lettered", item.SourceId, item.FileName, reason, attempts, at));
        logger.LogError("Document {SourceId} ({FileName}) of {Source} dead-lettered after {Attempts} attempts: {Reason}",
            item.SourceId, item.FileName, run.SourceName, attempts, reason);
    }
}
