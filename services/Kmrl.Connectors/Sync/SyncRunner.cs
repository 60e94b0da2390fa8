using System.Collections.Concurrent;
using System.Diagnostics;
using Kmrl.BuildingBlocks.PubSub;
using Kmrl.Connectors.Dapr;
using Kmrl.Connectors.Hosting;
using Kmrl.Connectors.Observability;
using Kmrl.Connectors.Ports;
using Kmrl.Contracts;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Kmrl.Connectors.Sync;

/// <summary>
/// Runs one sync of one source: the in-process gate and the cross-replica lock, the run's deadline, and the outcome
/// (status, metrics, <see cref="ConnectorSyncFailed"/>/<see cref="ConnectorSyncRecovered"/>). The run itself is a
/// <see cref="SyncRun"/>. A crash at any point leaves the last stored checkpoint behind, so the work after it is
/// redone: at-least-once.
/// </summary>
internal sealed class SyncRunner(
    IOptions<ConnectorHostOptions> options,
    ISyncLock syncLock,
    SyncRunServices runServices,
    IEventPublisher publisher,
    ConnectorMetrics metrics,
    ConnectorStatusRegistry status,
    TimeProvider timeProvider,
    ILogger<SyncRunner> logger)
{
    private readonly ConnectorHostOptions _options = options.Value;
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _running = new(StringComparer.Ordinal);

    private string Connector => _options.ConnectorName;

    public async Task<SyncRunResult> RunAsync(IDocumentSource source, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(source);
        var runId = Guid.CreateVersion7().ToString("N");
        var startedAt = timeProvider.GetUtcNow();
        var gate = _running.GetOrAdd(source.Name, _ => new SemaphoreSlim(1, 1));
        if (!await gate.WaitAsync(0, CancellationToken.None))
        {
            return Skipped(source, runId, startedAt, SyncOutcome.SkippedRunningHere);
        }
        try
        {
            ISyncLease? lease;
            try
            {
                lease = await syncLock.TryAcquireAsync(StateKeys.SyncLock(Connector, source.Name), _options.LockLeaseDuration, cancellationToken);
            }
            catch (Exception exception) when (!cancellationToken.IsCancellationRequested)
            {
                logger.LogError(exception, "Could not take the sync lock of {Source}", source.Name);
                return await FinishAsync(source, runId, startedAt, SyncOutcome.Failed, SyncCounts.None, "Could not take the sync lock: " + exception.Message);
            }
            if (lease is null)
            {
                return Skipped(source, runId, startedAt, SyncOutcome.SkippedLockHeld);
            }
            await using (lease)
            {
                return await RunLockedAsync(source, runId, startedAt, cancellationToken);
            }
        }
        finally
        {
            gate.Release();
        }
    }

    private async Task<SyncRunResult> RunLockedAsync(IDocumentSource source, string runId, DateTimeOffset startedAt, CancellationToken cancellationToken)
    {
        using var activity = ConnectorTelemetry.ActivitySource.StartActivity("connector.sync");
        activity?.SetTag(ConnectorTelemetry.ConnectorTag, Connector);
        activity?.SetTag(ConnectorTelemetry.SourceTag, source.Name);
        status.RunStarted(source.Name, runId, startedAt);
        logger.LogInformation("Sync {RunId} of {Source} started", runId, source.Name);

        // The lease cannot be renewed through Dapr, so the run ends itself before the lease does.
        using var deadline = new CancellationTokenSource(_options.RunDeadline, timeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token);
        var context = new SyncRunContext(Connector, source, runId, _options.EventSourceFor(source.Name), linked.Token);
        SyncOutcome outcome;
        string? error = null;
        try
        {
            outcome = await new SyncRun(context, runServices).ExecuteAsync();
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            outcome = SyncOutcome.Cancelled;
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested)
        {
            outcome = SyncOutcome.StoppedBeforeLeaseEnd;
            logger.LogWarning("Sync {RunId} of {Source} reached its deadline of {Deadline} and stopped; the next run continues from the stored checkpoint",
                runId, source.Name, _options.RunDeadline);
        }
        catch (Exception exception)
        {
            outcome = SyncOutcome.Failed;
            error = Describe(exception);
            logger.LogError(exception, "Sync {RunId} of {Source} failed", runId, source.Name);
        }
        activity?.SetTag(ConnectorTelemetry.OutcomeTag, outcome.ToString());
        if (outcome == SyncOutcome.Failed)
        {
            activity?.SetStatus(ActivityStatusCode.Error, error);
        }
        return await FinishAsync(source, runId, startedAt, outcome, context.Counts.Snapshot(), error);
    }

    private async Task<SyncRunResult> FinishAsync(IDocumentSource source, string runId, DateTimeOffset startedAt, SyncOutcome outcome, SyncCounts counts, string? error)
    {
        var finishedAt = timeProvider.GetUtcNow();
        var result = new SyncRunResult(source.Name, runId, outcome, startedAt, finishedAt, counts, error);
        var failuresBefore = status.Get(source.Name).ConsecutiveFailures;
        var consecutiveFailures = status.RunFinished(result);
        metrics.RunFinished(source.Name, outcome.ToString(), finishedAt - startedAt);
        logger.LogInformation(
            "Sync {RunId} of {Source} ended {Outcome}: {Discovered} discovered, {Removed} removed, {Rejected} rejected, {DeadLettered} dead-lettered, {Bytes} bytes",
            runId, source.Name, outcome, counts.Discovered, counts.Removed, counts.Rejected, counts.DeadLettered, counts.Bytes);

        var threshold = _options.DegradedAfterConsecutiveFailures;
        if (outcome == SyncOutcome.Failed && consecutiveFailures >= threshold && (consecutiveFailures - threshold) % threshold == 0)
        {
            await PublishAlertAsync(source, DaprNames.Topics.ConnectorSyncFailed,
                new ConnectorSyncFailed(Connector, source.Name, consecutiveFailures, error ?? "unknown error", finishedAt));
        }
        else if (outcome == SyncOutcome.Completed && failuresBefore >= threshold)
        {
            // The failure was announced, so its end is too: the notifications service closes the incident.
            await PublishAlertAsync(source, DaprNames.Topics.ConnectorSyncRecovered,
                new ConnectorSyncRecovered(Connector, source.Name, failuresBefore, finishedAt));
        }
        return result;
    }

    // Alerting must not hang shutdown or mask the run's own result, so this is best effort with its own timeout.
    private async Task PublishAlertAsync<T>(IDocumentSource source, string topic, T alert) where T : class
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30), timeProvider);
            await publisher.PublishAsync(topic, alert, timeout.Token);
        }
        catch (Exception exception)
        {
            logger.LogError(exception, "Publishing {Topic} for {Source} failed", topic, source.Name);
        }
    }

    private SyncRunResult Skipped(IDocumentSource source, string runId, DateTimeOffset startedAt, SyncOutcome outcome)
    {
        var result = new SyncRunResult(source.Name, runId, outcome, startedAt, timeProvider.GetUtcNow(), SyncCounts.None, null);
        status.RunSkipped(result);
        metrics.RunFinished(source.Name, outcome.ToString(), TimeSpan.Zero);
        logger.LogInformation("Sync of {Source} skipped: {Outcome}", source.Name, outcome);
        return result;
    }

    internal static string Describe(Exception exception)
    {
        var inner = exception is SourceReadException or SourceContentException ? exception.InnerException ?? exception : exception;
        return $"{inner.GetType().Name}: {inner.Message}";
    }
}
