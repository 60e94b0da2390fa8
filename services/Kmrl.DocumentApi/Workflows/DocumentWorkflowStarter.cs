using Kmrl.DocumentApi.Model;
using Kmrl.DocumentApi.Pipeline;
using Kmrl.DocumentApi.Ports;

namespace Kmrl.DocumentApi.Workflows;

/// <summary>
/// Starts the processing workflow at most once per arrival, so a redelivered DocumentDiscovered, a replayed dead letter
/// or a retried upload never runs a document twice. The catalog decides, not the runtime: Dapr starts an id whose run
/// has finished afresh, and a finished run may have been purged (retention policy), but the final record stays.
/// </summary>
public sealed partial class DocumentWorkflowStarter(ICatalog catalog, IDocumentWorkflows workflows, PipelineBacklog backlog, ILogger<DocumentWorkflowStarter> logger)
{
    public async Task<bool> StartAsync(DocumentIntake intake, string? instanceId, CancellationToken cancellationToken)
    {
        instanceId ??= intake.DocumentId;
        // The document's own run; a reprocessing run has an id of its own and runs over a final record on purpose.
        if (instanceId == intake.DocumentId
            && await catalog.GetAsync(intake.DocumentId, cancellationToken) is { Status: not DocumentStatus.Processing } record)
        {
            LogAlreadyFinished(logger, instanceId, record.Status);
            backlog.Close(intake.DocumentId);
            return false;
        }
        backlog.Open(intake.DocumentId);
        // A run that is there (under way, or ended without a final record, which a person reprocesses) is left alone.
        var state = await workflows.GetStateAsync(instanceId, cancellationToken);
        if (state.Exists)
        {
            LogAlreadyStarted(logger, instanceId);
            return false;
        }
        if (instanceId == intake.DocumentId)
        {
            // Before the run exists: a runtime that loses it (restart of a local runtime, a purge, a lost actor store)
            // leaves this note for PipelineReconciler, once the pub/sub delivery that brought it is acknowledged.
            await catalog.NoteInFlightAsync(intake, cancellationToken);
        }
        if (!await workflows.TryScheduleAsync(instanceId, intake, cancellationToken))
        {
            LogAlreadyStarted(logger, instanceId);
            return false;
        }
        LogStarted(logger, instanceId, intake.Source, intake.SourceId);
        return true;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Started document workflow {InstanceId} for {Source}/{SourceId}")]
    private static partial void LogStarted(ILogger logger, string instanceId, string source, string sourceId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Document workflow {InstanceId} already exists; not started again")]
    private static partial void LogAlreadyStarted(ILogger logger, string instanceId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Document {InstanceId} is already {Status} in the catalog; not started again")]
    private static partial void LogAlreadyFinished(ILogger logger, string instanceId, DocumentStatus status);
}
