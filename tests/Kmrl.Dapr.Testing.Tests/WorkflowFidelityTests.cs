using Dapr.Workflow;
using Dapr.Workflow.Client;
using Grpc.Core;
using Kmrl.Testing.Servers;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Kmrl.Dapr.Testing.Tests;

/// <summary>Sets a stage, then waits for "go": a workflow that stays active until the test lets it finish.</summary>
public sealed class StagedWorkflow : Workflow<string, string>
{
    public override async Task<string> RunAsync(WorkflowContext context, string input)
    {
        context.SetCustomStatus("extract");
        var go = await context.WaitForExternalEventAsync<string>("go", TimeSpan.FromSeconds(30));
        if (go == "fail")
        {
            throw new InvalidOperationException("page 3 is unreadable");
        }
        return await context.CallActivityAsync<string>(nameof(StampActivity), $"{input}|{go}");
    }
}

/// <summary>
/// Where daprd's workflow engine is not Microsoft's in-memory engine, the double behaves as daprd. Each test names
/// the upstream code it follows.
/// </summary>
[Collection(RedisCollection.Name)]
public sealed class WorkflowFidelityTests(RedisServer redis)
{
    [Fact]
    public async Task Custom_status_and_failure_details_come_back_only_when_inputs_and_outputs_are_asked_for()
    {
        // durabletask-go backend/executor.go createGetInstanceResponse copies Input, CustomStatus, Output and
        // FailureDetails only when GetInputsAndOutputs is set.
        await using var host = await WorkflowHost.StartAsync(redis);
        var running = await host.Client.ScheduleNewWorkflowAsync(nameof(StagedWorkflow), "wf-running", "JC-1");
        var failed = await host.Client.ScheduleNewWorkflowAsync(nameof(StagedWorkflow), "wf-failed", "JC-2");
        await host.Client.RaiseEventAsync(failed, "go", "fail");
        await host.WaitForCompletionAsync(failed);

        var runningFull = await host.Client.GetWorkflowStateAsync(running, getInputsAndOutputs: true);
        var runningBare = await host.Client.GetWorkflowStateAsync(running, getInputsAndOutputs: false);
        var failedFull = await host.Client.GetWorkflowStateAsync(failed, getInputsAndOutputs: true);
        var failedBare = await host.Client.GetWorkflowStateAsync(failed, getInputsAndOutputs: false);

        Assert.Equal("extract", runningFull.ReadCustomStatusAs<string>());
        Assert.Null(runningBare.ReadCustomStatusAs<string>());
        Assert.Equal(WorkflowRuntimeStatus.Failed, failedFull.RuntimeStatus);
        Assert.Contains("page 3 is unreadable", failedFull.FailureDetails?.ErrorMessage);
        Assert.Equal(WorkflowRuntimeStatus.Failed, failedBare.RuntimeStatus);
        Assert.Null(failedBare.FailureDetails);
    }

    [Fact]
    public async Task Scheduling_returns_only_once_a_worker_has_taken_the_instance_out_of_pending()
    {
        // durabletask-go backend/executor.go StartInstance calls WaitForInstanceStart (status != PENDING) unless a
        // start time is given; dapr's pkg/runtime/wfengine does not pass WithSkipWaitForInstanceStart.
        await using var host = await WorkflowHost.CreateAsync(redis);

        var schedule = host.Client.ScheduleNewWorkflowAsync(nameof(StagedWorkflow), "wf-waits", "JC-3");
        var early = await Task.WhenAny(schedule, Task.Delay(TimeSpan.FromSeconds(1)));
        await host.StartWorkerAsync();
        await schedule.WaitAsync(TimeSpan.FromSeconds(30));
        var state = await host.Client.GetWorkflowStateAsync("wf-waits");

        Assert.NotSame(schedule, early);
        Assert.Equal(WorkflowRuntimeStatus.Running, state.RuntimeStatus);
    }

    [Fact]
    public async Task An_active_id_is_refused_with_unknown_and_a_completed_id_is_recreated()
    {
        // dapr pkg/actors/targets/workflow/orchestrator/create.go createIfCompleted: "an active workflow with ID
        // '%s' already exists" as a plain error, wrapped by durabletask-go's StartInstance ("failed to create
        // orchestration instance: %w"), which gRPC answers as Unknown; a completed workflow is reset and recreated.
        await using var host = await WorkflowHost.StartAsync(redis);
        await host.Client.ScheduleNewWorkflowAsync(nameof(StagedWorkflow), "wf-again", "first");

        var refused = await Assert.ThrowsAsync<RpcException>(() => host.Client.ScheduleNewWorkflowAsync(nameof(StagedWorkflow), "wf-again", "second"));
        await host.Client.RaiseEventAsync("wf-again", "go", "ok");
        var firstRun = await host.WaitForCompletionAsync("wf-again");
        await host.Client.ScheduleNewWorkflowAsync(nameof(StagedWorkflow), "wf-again", "third");
        await host.Client.RaiseEventAsync("wf-again", "go", "ok");
        var secondRun = await host.WaitForCompletionAsync("wf-again");

        Assert.Equal(StatusCode.Unknown, refused.StatusCode);
        Assert.Equal("failed to create orchestration instance: an active workflow with ID 'wf-again' already exists", refused.Status.Detail);
        Assert.Equal("first|ok:stamped", firstRun.ReadOutputAs<string>());
        Assert.Equal("third|ok:stamped", secondRun.ReadOutputAs<string>());
        Assert.Equal("third", secondRun.ReadInputAs<string>());
    }

    [Fact]
    public async Task The_history_of_an_instance_is_its_events_and_an_unknown_instance_is_not_found()
    {
        // dapr v1.17 pkg/runtime/wfengine/backends/actors/actors.go GetInstanceHistory: the state's History, or
        // NotFound "workflow instance '%s' not found".
        await using var host = await WorkflowHost.StartAsync(redis);
        await host.Client.ScheduleNewWorkflowAsync(nameof(StagedWorkflow), "wf-history", "JC-4");
        await host.Client.RaiseEventAsync("wf-history", "go", "ok");
        await host.WaitForCompletionAsync("wf-history");

        var history = await host.Client.GetInstanceHistoryAsync("wf-history");
        var missing = await Assert.ThrowsAsync<RpcException>(() => host.Client.GetInstanceHistoryAsync("wf-never"));

        var types = history.Select(e => e.EventType).ToList();
        Assert.Equal(WorkflowHistoryEventType.ExecutionStarted, types.First(t => t != WorkflowHistoryEventType.OrchestratorStarted));
        Assert.Contains(WorkflowHistoryEventType.EventRaised, types);
        Assert.Contains(WorkflowHistoryEventType.TaskScheduled, types);
        Assert.Contains(WorkflowHistoryEventType.TaskCompleted, types);
        Assert.Equal(WorkflowHistoryEventType.ExecutionCompleted, types.Last(t => t != WorkflowHistoryEventType.OrchestratorCompleted));
        Assert.All(history, e => Assert.NotEqual(DateTime.MinValue, e.Timestamp));
        Assert.Equal(StatusCode.NotFound, missing.StatusCode);
    }

    [Fact]
    public async Task A_1_16_runtime_has_no_instance_history()
    {
        // durabletask-go v0.10.2 (runtime 1.16) has no GetInstanceHistory; it came with v0.11 (runtime 1.17).
        await using var host = await WorkflowHost.StartAsync(redis, new Version(1, 16));
        await host.Client.ScheduleNewWorkflowAsync(nameof(StagedWorkflow), "wf-old", "JC-5");

        var unimplemented = await Assert.ThrowsAsync<RpcException>(() => host.Client.GetInstanceHistoryAsync("wf-old"));

        Assert.Equal(StatusCode.Unimplemented, unimplemented.StatusCode);
        Assert.Equal("extract", (await host.Client.GetWorkflowStateAsync("wf-old")).ReadCustomStatusAs<string>());
    }

    /// <summary>An app with the Dapr.Workflow worker and client on a sidecar of the double.</summary>
    private sealed class WorkflowHost : IAsyncDisposable
    {
        private DaprTestEnvironment _environment = null!;
        private WebApplication _app = null!;

        public DaprWorkflowClient Client { get; private set; } = null!;

        public static async Task<WorkflowHost> StartAsync(RedisServer redis, Version? runtimeVersion = null)
        {
            var host = await CreateAsync(redis, runtimeVersion);
            await host.StartWorkerAsync();
            return host;
        }

        /// <summary>The client is usable at once; the worker connects only with <see cref="StartWorkerAsync"/>.</summary>
        public static async Task<WorkflowHost> CreateAsync(RedisServer redis, Version? runtimeVersion = null)
        {
            var host = new WorkflowHost();
            host._environment = await DaprTestEnvironment.StartAsync(redis, options => options.RuntimeVersion = runtimeVersion ?? options.RuntimeVersion);
            var sidecar = await host._environment.StartSidecarAsync("document-api");
            host._app = WorkflowWorkerApp.Build(sidecar, options =>
            {
                options.RegisterWorkflow<StagedWorkflow>();
                options.RegisterActivity<StampActivity>();
            });
            host.Client = host._app.Services.GetRequiredService<DaprWorkflowClient>();
            return host;
        }

        public Task StartWorkerAsync() => _app.StartAsync();

        public async Task<WorkflowState> WaitForCompletionAsync(string instanceId)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            return await Client.WaitForWorkflowCompletionAsync(instanceId, cancellation: timeout.Token);
        }

        public async ValueTask DisposeAsync()
        {
            await _app.DisposeAsync();
            await _environment.DisposeAsync();
        }
    }
}
