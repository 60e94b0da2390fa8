using Dapr.Workflow;
using Grpc.Core;
using Kmrl.DocumentApi.Model;
using Kmrl.DocumentApi.Ports;
using Kmrl.DocumentApi.Workflows;

namespace Kmrl.DocumentApi.Adapters;

/// <summary>Thin adapter over the Dapr workflow client (the sidecar's TaskHubSidecarService).</summary>
public sealed partial class DaprDocumentWorkflows(IDaprWorkflowClient client, ILogger<DaprDocumentWorkflows> logger) : IDocumentWorkflows
{
    public async Task<WorkflowRunState> GetStateAsync(string instanceId, CancellationToken cancellationToken)
    {
        // Without inputs and outputs Dapr leaves out the custom status (the stage) and the failure details too.
        var state = await client.GetWorkflowStateAsync(instanceId, getInputsAndOutputs: true, cancellationToken);
        if (state is not { Exists: true })
        {
            return new WorkflowRunState(false, WorkflowRuntimeStatus.Unknown.ToString(), null, null);
        }
        return new WorkflowRunState(true, state.RuntimeStatus.ToString(), state.ReadCustomStatusAs<string>(), state.FailureDetails?.ErrorMessage);
    }

    public async Task<bool> TryScheduleAsync(string instanceId, DocumentIntake intake, CancellationToken cancellationToken)
    {
        try
        {
            // Returns once a worker has started the run (the sidecar waits until it leaves Pending).
            await client.ScheduleNewWorkflowAsync(nameof(DocumentProcessingWorkflow), instanceId, intake, null, cancellationToken);
            return true;
        }
        catch (RpcException ex)
        {
            // Dapr has no AlreadyExists: a run still under way is refused as Unknown ("an active workflow with ID
            // ... already exists"), like any other failure. Whether a run is there now tells the two apart.
            if (!(await GetStateAsync(instanceId, cancellationToken)).Exists)
            {
                throw;
            }
            LogRefused(logger, instanceId, ex.StatusCode);
            return false;
        }
    }

    public async Task<IReadOnlyList<WorkflowRunEvent>?> GetHistoryAsync(string instanceId, CancellationToken cancellationToken)
    {
        try
        {
            var history = await client.GetInstanceHistoryAsync(instanceId, cancellationToken);
            return history.Select(e => new WorkflowRunEvent(e.EventId, e.EventType.ToString(), e.Timestamp)).ToList();
        }
        catch (RpcException ex) when (ex.StatusCode == StatusCode.Unimplemented)
        {
            // GetInstanceHistory exists from Dapr runtime 1.17.
            LogNoHistory(logger, instanceId);
            return null;
        }
        catch (RpcException ex) when (ex.StatusCode == StatusCode.NotFound)
        {
            // Purged between reading its state and its history.
            return [];
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Workflow {InstanceId} is already there; the runtime refused a second start ({StatusCode})")]
    private static partial void LogRefused(ILogger logger, string instanceId, StatusCode statusCode);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The Dapr runtime cannot list the history of workflow {InstanceId} (GetInstanceHistory needs runtime 1.17 or later)")]
    private static partial void LogNoHistory(ILogger logger, string instanceId);
}
