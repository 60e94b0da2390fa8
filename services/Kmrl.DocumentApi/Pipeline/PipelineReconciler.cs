using Kmrl.DocumentApi.Extensions;
using Kmrl.DocumentApi.Ports;
using Kmrl.DocumentApi.Workflows;
using Microsoft.Extensions.Options;

namespace Kmrl.DocumentApi.Pipeline;

/// <summary>
/// At start-up, every document noted in flight (its own run was being scheduled, its record is not final yet) goes
/// through <see cref="DocumentWorkflowStarter"/> again: a final record is left alone (and its note dropped), a run the
/// runtime still has is left alone, and a run the runtime lost (the local runtime restarted, an instance purged, an
/// actor store lost, a failed deploy) is scheduled again under the same instance id. The pub/sub delivery that first
/// started it was acknowledged, so nothing else would. Idempotent (the starter decides per document), bounded by
/// <see cref="PipelineOptions.ReconcileMaxDocuments"/>, and retried until the sidecar answers.
/// </summary>
public sealed partial class PipelineReconciler(
    ICatalog catalog,
    DocumentWorkflowStarter starter,
    IOptions<PipelineOptions> options,
    TimeProvider time,
    ILogger<PipelineReconciler> logger) : BackgroundService
{
    private static readonly TimeSpan FirstRetry = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan MaxRetry = TimeSpan.FromSeconds(30);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Value.ReconcileOnStart)
        {
            return;
        }
        var delay = FirstRetry;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await ReconcileAsync(stoppingToken);
                return;
            }
            catch (Exception exception) when (exception is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                // The sidecar (state store, workflow engine) may come up after the app: try again, more slowly.
                LogRetry(logger, delay.TotalSeconds, exception.Message);
                await Task.Delay(delay, time, stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                delay = TimeSpan.FromTicks(Math.Min(MaxRetry.Ticks, delay.Ticks * 2));
            }
        }
    }

    /// <summary>One pass over the documents in flight; returns how many were scheduled again.</summary>
    public async Task<int> ReconcileAsync(CancellationToken cancellationToken)
    {
        var inFlight = await catalog.ListInFlightAsync(options.Value.ReconcileMaxDocuments, cancellationToken);
        var scheduled = 0;
        var final = 0;
        await Parallel.ForEachAsync(inFlight, new ParallelOptions { MaxDegreeOfParallelism = 4, CancellationToken = cancellationToken }, async (intake, token) =>
        {
            if (await catalog.GetAsync(intake.DocumentId, token) is { Status: not Model.DocumentStatus.Processing })
            {
                // Final, but its note outlived it (a crash between the record and the note's removal).
                await catalog.ForgetInFlightAsync(intake.DocumentId, token);
                Interlocked.Increment(ref final);
                return;
            }
            if (await starter.StartAsync(intake, null, token))
            {
                LogRescheduled(logger, intake.DocumentId, intake.Source, intake.SourceId);
                Interlocked.Increment(ref scheduled);
            }
        });
        LogReconciled(logger, inFlight.Count, scheduled, final, inFlight.Count - scheduled - final);
        return scheduled;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Reconciliation of documents in flight failed; retrying in {Seconds} s: {Error}")]
    private static partial void LogRetry(ILogger logger, double seconds, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Document {DocumentId} from {Source}/{SourceId} was in flight and its workflow run is gone; scheduled again")]
    private static partial void LogRescheduled(ILogger logger, string documentId, string source, string sourceId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Reconciled {Count} documents in flight: {Scheduled} scheduled again, {Final} already final, {Running} still running")]
    private static partial void LogReconciled(ILogger logger, int count, int scheduled, int final, int running);
}
