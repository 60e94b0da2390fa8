using Dapr.Workflow;
using Grpc.Core;
using Kmrl.DocumentApi.Model;
using Kmrl.DocumentApi.Ports;
using Kmrl.DocumentApi.Workflows;

namespace Kmrl.DocumentApi.Adapters;

/// <summary>Thin adapter over the Dapr workflow client (the sidecar's TaskHubSidecarService).</summary>
public sealed class DaprDocumentWorkflows(IDaprWorkflowClient client) : IDocumentWorkflows
{
    public async Task<WorkflowRunState> GetStateAsync(string instanceId, CancellationToken cancellationToken)
    {
        var state = await client.GetWorkflowStateAsync(instanceId, getInputsAndOutputs: false, cancellationToken);
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
            await client.ScheduleNewWorkflowAsync(nameof(DocumentProcessingWorkflow), instanceId, intake, null, cancellationToken);
            return true;
        }
        catch (RpcException ex) when (ex.StatusCode == StatusCode.AlreadyExists)
        {
            return false;
        }
    }

    public async Task<IReadOnlyList<WorkflowRunEvent>> GetHistoryAsync(string instanceId, CancellationToken cancellationToken)
    {
        var history = await client.GetInstanceHistoryAsync(instanceId, cancellationToken);
        return history.Select(e => new WorkflowRunEvent(e.EventId, e.EventType.ToString(), e.Timestamp)).ToList();
    }
}
