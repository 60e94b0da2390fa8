using Dapr.Workflow;

namespace Kmrl.Dapr.Contract.Tests;

/// <summary>
/// Reading a workflow's state. With getInputsAndOutputs true, daprd returns the custom status and the failure
/// details; with false it omits them along with inputs and outputs (dapr/durabletask-go v0.10.2 backend/executor.go
/// <c>createGetInstanceResponse</c>: Input, CustomStatus, Output and FailureDetails are set only under
/// <c>req.GetInputsAndOutputs</c>; dotnet-sdk Dapr.Workflow <c>GetWorkflowStateAsync(instanceId, getInputsAndOutputs)</c>).
/// </summary>
[Collection(ContractCollection.Name)]
public sealed class WorkflowContractTests(ContractTarget target)
{
    [Fact]
    public async Task Custom_status_and_failure_details_are_read_with_inputs_and_outputs_and_absent_without()
    {
        var id = ContractTarget.Unique("wf");
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));

        await target.Workflows.ScheduleNewWorkflowAsync(nameof(StatusThenFailWorkflow), id, "input");
        var finished = await target.Workflows.WaitForWorkflowCompletionAsync(id, cancellation: timeout.Token);
        var full = await target.Workflows.GetWorkflowStateAsync(id, getInputsAndOutputs: true);
        var bare = await target.Workflows.GetWorkflowStateAsync(id, getInputsAndOutputs: false);

        Assert.Equal(WorkflowRuntimeStatus.Failed, finished.RuntimeStatus);
        Assert.Equal(WorkflowRuntimeStatus.Failed, full!.RuntimeStatus);
        Assert.Equal(StatusThenFailWorkflow.Status, full.ReadCustomStatusAs<string>());
        Assert.Contains(FailingActivity.Message, full.FailureDetails?.ErrorMessage ?? string.Empty, StringComparison.Ordinal);
        Assert.Equal(WorkflowRuntimeStatus.Failed, bare!.RuntimeStatus);
        Assert.Null(bare.ReadCustomStatusAs<string>());
        Assert.Null(bare.FailureDetails);
    }
}
