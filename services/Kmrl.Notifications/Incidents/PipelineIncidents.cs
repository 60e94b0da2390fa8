using System.Globalization;
using Kmrl.BuildingBlocks.State;
using Kmrl.Contracts;
using Kmrl.Notifications.Delivery;
using Microsoft.Extensions.Options;

namespace Kmrl.Notifications.Incidents;

/// <summary>
/// The pipeline's own incidents, for operations, with the connectors' dedupe (<see cref="IncidentTracker"/>'s numbered
/// incident record and message ids): a backlog past its depth (document-api's <see cref="PipelineBacklogHigh"/>
/// reports) and a dead-letter count that grows (each delivery on the dead-letter topic). Neither has an event that
/// says it ended, so an incident closes (<see cref="QuietIncidents"/>), with its recovery message, on the first tick
/// after it has been quiet for <see cref="NotificationOptions.BacklogClearAfter"/> or
/// <see cref="NotificationOptions.DeadLettersClearAfter"/>: reports stop once no replica is over (or the one that was
/// has died), dead letters once none arrive.
/// </summary>
public sealed class PipelineIncidents(QuietIncidents incidents, NotificationDispatcher dispatcher, IOptions<NotificationOptions> options, TimeProvider time)
{
    public const string Subject = DaprNames.AppIds.DocumentApi;
    public const string Backlog = "pipeline-backlog";
    public const string DeadLetters = "dead-letters";

    public Task BacklogHighAsync(PipelineBacklogHigh report, CancellationToken cancellationToken) =>
        RaisedAsync(Backlog, report.Replica + "@" + report.ReportedAt.ToString("O", CultureInfo.InvariantCulture),
            $"{report.Depth} documents wait for processing on {report.Replica} (more than {report.Threshold})", report.ReportedAt, cancellationToken);

    // The dead-letter topic carries the document as it was published, with no time of its own: the arrival is the time.
    public Task DeadLetteredAsync(DocumentDiscovered discovered, CancellationToken cancellationToken) =>
        RaisedAsync(DeadLetters, discovered.IdempotencyKey,
            $"{discovered.Source}/{discovered.SourceId} ({discovered.FileName}) was given up on after its delivery retries",
            time.GetUtcNow(), cancellationToken);

    /// <summary>Closes every incident quiet long enough, and sends each closed one's recovery (once); returns the sends.</summary>
    public async Task<int> TickAsync(CancellationToken cancellationToken)
    {
        var sent = 0;
        var now = time.GetUtcNow();
        foreach (var (condition, quiet) in new[] { (Backlog, options.Value.BacklogClearAfter), (DeadLetters, options.Value.DeadLettersClearAfter) })
        {
            // Also an incident closed at an earlier tick whose recovery send failed: the ledger sends it once.
            if (await incidents.CloseIfQuietAsync(IncidentTracker.Key(Subject, condition), quiet, now, cancellationToken) is { ClosedAt: { } closedAt } incident)
            {
                sent += await dispatcher.SendOnceAsync(MessageTexts.PipelineRecovered(IncidentTracker.RecoveredMessageId(incident), condition,
                    incident.Number, incident.FailedRuns, incident.OpenedAt, closedAt), cancellationToken);
            }
        }
        return sent;
    }

    private async Task RaisedAsync(string condition, string occurrence, string detail, DateTimeOffset at, CancellationToken cancellationToken)
    {
        // Every report while open asks again; the ledger sends the alert once (and again only after a failed send).
        if (await incidents.RaiseAsync(IncidentTracker.Key(Subject, condition), Subject, condition, occurrence, detail, at, cancellationToken) is { } incident)
        {
            await dispatcher.SendOnceAsync(MessageTexts.PipelineDegraded(IncidentTracker.OpenedMessageId(incident), condition, incident.Number,
                incident.LastError, incident.OpenedAt), cancellationToken);
        }
    }
}
