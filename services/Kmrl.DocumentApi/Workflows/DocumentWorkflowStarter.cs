using Kmrl.DocumentApi.Model;
using Kmrl.DocumentApi.Ports;

namespace Kmrl.DocumentApi.Workflows;

/// <summary>
/// Starts the processing workflow at most once per instance id: an instance that exists (running or finished) is
/// left alone, so a redelivered DocumentDiscovered or a retried upload never starts a second run.
/// </summary>
public sealed partial class DocumentWorkflowStarter(IDocumentWorkflows workflows, ILogger<DocumentWorkflowStarter> logger)
{
    public async Task<bool> StartAsync(DocumentIntake intake, string? instanceId, CancellationToken cancellationToken)
    {
        instanceId ??= intake.DocumentId;
        var state = await workflows.GetStateAsync(instanceId, cancellationToken);
        // The runtime refuses a second schedule with AlreadyExists too; the check first keeps redeliveries quiet.
        if (state.Exists || !await workflows.TryScheduleAsync(instanceId, intake, cancellationToken))
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
}
