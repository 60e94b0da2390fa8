using Dapr.Workflow;
using Grpc.Core;
using Kmrl.DocumentApi.Model;

namespace Kmrl.DocumentApi.Workflows;

/// <summary>
/// Starts the processing workflow at most once per instance id: an instance that exists (running or finished) is
/// left alone, so a redelivered DocumentDiscovered or a retried upload never starts a second run.
/// </summary>
public sealed partial class DocumentWorkflowStarter(IDaprWorkflowClient workflows, ILogger<DocumentWorkflowStarter> logger)
{
    public async Task<bool> StartAsync(DocumentIntake intake, string? instanceId, CancellationToken cancellationToken)
    {
        instanceId ??= intake.DocumentId;
        var state = await workflows.GetWorkflowStateAsync(instanceId, getInputsAndOutputs: false, cancellationToken);
        if (state is { Exists: true })
        {
            LogAlreadyStarted(logger, instanceId);
            return false;
        }
        try
        {
            await workflows.ScheduleNewWorkflowAsync(nameof(DocumentProcessingWorkflow), instanceId, intake, null, cancellationToken);
            LogStarted(logger, instanceId, intake.Source, intake.SourceId);
            return true;
        }
        catch (RpcException ex) when (ex.StatusCode == StatusCode.AlreadyExists)
        {
            // Two deliveries raced past the existence check; the other one started it.
            LogAlreadyStarted(logger, instanceId);
            return false;
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Started document workflow {InstanceId} for {Source}/{SourceId}")]
    private static partial void LogStarted(ILogger logger, string instanceId, string source, string sourceId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Document workflow {InstanceId} already exists; not started again")]
    private static partial void LogAlreadyStarted(ILogger logger, string instanceId);
}
