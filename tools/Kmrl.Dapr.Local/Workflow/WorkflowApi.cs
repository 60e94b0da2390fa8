using System.Collections.Concurrent;
using DurableTask.Core;
using Google.Protobuf;
using Grpc.AspNetCore.Server.Model;
using Grpc.Core;
using Microsoft.DurableTask.Testing.Sidecar.Grpc;
using DaprProto = Dapr.DurableTask.Protobuf;
using Ms = Microsoft.DurableTask.Protobuf;

namespace Kmrl.Dapr.Testing.Workflow;

/// <summary>
/// The durabletask <c>TaskHubSidecarService</c> that Dapr.Workflow's worker and client talk to, served by a real
/// DurableTask.Core in-memory engine (<see cref="TaskHubGrpcServer"/> from Microsoft.DurableTask.InProcessTestHost).
/// Requests arrive as bytes in Dapr's dialect of the protocol and are translated before the engine parses them:
/// Dapr's fork reuses two fields of ScheduleTaskAction (4 = router, 5 = taskExecutionId as a string) where
/// Microsoft's has tags and a parent trace context, so those two are cleared. Nothing else is rewritten; what the
/// translation drops is listed in the README.
/// Where daprd's workflow engine (durabletask-go's gRPC executor over Dapr's workflow actors) behaves differently
/// from Microsoft's engine, daprd's behaviour is modelled here in front of the engine: StartInstance (an active id is
/// refused, a completed one recreated, the call returns once the instance left PENDING) and GetInstanceHistory.
/// </summary>
public sealed class WorkflowApi
{
    public const string ServiceName = "TaskHubSidecarService";

    private readonly IOrchestrationServiceClient _instances;
    private readonly WorkflowHistories _histories;
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _creating = new(StringComparer.Ordinal);

    internal WorkflowApi(TaskHubGrpcServer engine, IOrchestrationServiceClient instances, WorkflowHistories histories)
    {
        Engine = engine;
        _instances = instances;
        _histories = histories;
    }

    internal TaskHubGrpcServer Engine { get; }

    /// <summary>
    /// The worker's work-item stream. When it closes (the app stopped or crashed), daprd cancels the workflow and
    /// activity work items it had sent on that stream so they are dispatched again to the next worker that connects
    /// (dapr/durabletask-go backend/executor.go GetWorkItems: the deferred clean-up calls CancelActivityTask and
    /// CancelWorkflowTask for every pending item whose streamID is the closed stream's). Microsoft's engine instead
    /// waits for their results forever (TaskHubGrpcServer ExecuteActivity/ExecuteOrchestrator: "TODO: How should we
    /// handle timeouts if the remote process never sends a response?"), which left an instance stuck after an app
    /// restart. Failing those waits makes its dispatchers give the work items back to the queue.
    /// </summary>
    internal async Task GetWorkItemsAsync(Ms.GetWorkItemsRequest request, IServerStreamWriter<Ms.WorkItem> writer, ServerCallContext call)
    {
        try
        {
            await Engine.GetWorkItems(request, writer, call);
        }
        finally
        {
            // The engine allows one worker stream at a time, so everything pending was sent on this one.
            ReleasePending("pendingActivityTasks");
            ReleasePending("pendingOrchestratorTasks");
        }
    }

    private void ReleasePending(string field)
    {
        var pending = typeof(TaskHubGrpcServer).GetField(field, System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.NonPublic)?.GetValue(Engine)
            as System.Collections.IDictionary
            ?? throw new InvalidOperationException($"TaskHubGrpcServer has no dictionary '{field}' any more: the work-item release needs updating.");
        foreach (var key in pending.Keys.Cast<object>().ToList())
        {
            if (pending[key] is { } completion)
            {
                pending.Remove(key);
                completion.GetType().GetMethod("TrySetException", [typeof(Exception)])!
                    .Invoke(completion, [new RpcException(new Status(StatusCode.Unavailable, "work item stream closed"))]);
            }
        }
    }

    /// <summary>
    /// durabletask-go v0.10.2/v0.11.5 <c>backend/executor.go</c> StartInstance: the create goes to the workflow actor
    /// (dapr v1.16.19/v1.17.13 <c>pkg/actors/targets/workflow/orchestrator/create.go</c>), which refuses an id whose
    /// workflow is not completed with a plain Go error, so gRPC answers Unknown with the wrapped text, and resets and
    /// recreates an id whose workflow completed, failed or was terminated ("workflow was previously completed and is
    /// being recreated"). Dapr.Workflow sends no OrchestrationIdReusePolicy, so that is the path every start takes.
    /// Then, unless a start time was given, the executor waits until the instance leaves PENDING (WaitForInstanceStart;
    /// dapr's wfengine does not set WithSkipWaitForInstanceStart), so the caller blocks until a worker ran it.
    /// </summary>
    internal async Task<Ms.CreateInstanceResponse> StartInstanceAsync(Ms.CreateInstanceRequest request, ServerCallContext call)
    {
        var instanceId = request.InstanceId;
        // The workflow actor handles one create at a time per id.
        var gate = _creating.GetOrAdd(instanceId, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(call.CancellationToken);
        Ms.CreateInstanceResponse response;
        try
        {
            if (await _instances.GetOrchestrationStateAsync(instanceId, executionId: null) is { } existing)
            {
                if (!IsCompleted(existing.OrchestrationStatus))
                {
                    throw new RpcException(new Status(StatusCode.Unknown,
                        $"failed to create orchestration instance: an active workflow with ID '{instanceId}' already exists"));
                }
                await Engine.PurgeInstances(new Ms.PurgeInstancesRequest { InstanceId = instanceId }, call);
                _histories.Forget(instanceId);
            }
            response = await Engine.StartInstance(request, call);
        }
        finally
        {
            gate.Release();
        }
        if (request.ScheduledStartTimestamp is null)
        {
            await WaitUntilStartedAsync(instanceId, call.CancellationToken);
        }
        return response;
    }

    /// <summary>
    /// dapr v1.17.13 <c>pkg/runtime/wfengine/backends/actors/actors.go</c> GetInstanceHistory: the history events of
    /// the instance's state (empty before its first step ran), NotFound when there is no such instance. Runtime 1.16
    /// does not have the method at all (see <see cref="MethodProvider"/>).
    /// </summary>
    internal async Task<DaprProto.GetInstanceHistoryResponse> GetInstanceHistoryAsync(DaprProto.GetInstanceHistoryRequest request, ServerCallContext call)
    {
        if (await _instances.GetOrchestrationStateAsync(request.InstanceId, executionId: null) is null)
        {
            throw new RpcException(new Status(StatusCode.NotFound, $"workflow instance '{request.InstanceId}' not found"));
        }
        var response = new DaprProto.GetInstanceHistoryResponse();
        response.Events.AddRange(_histories.Get(request.InstanceId) ?? []);
        return response;
    }

    // durabletask-go runtimestate.IsCompleted: the history holds ExecutionCompleted (completed or failed) or
    // ExecutionTerminated.
    private static bool IsCompleted(OrchestrationStatus status) =>
        status is OrchestrationStatus.Completed or OrchestrationStatus.Failed or OrchestrationStatus.Terminated;

    private async Task WaitUntilStartedAsync(string instanceId, CancellationToken cancellationToken)
    {
        // durabletask-go watches the actor's status; the in-memory engine can only be asked: soon at first, then
        // less often, so a backlog of waiting starts does not spin the engine.
        var pause = TimeSpan.FromMilliseconds(5);
        while (await _instances.GetOrchestrationStateAsync(instanceId, executionId: null) is not { } state
               || state.OrchestrationStatus == OrchestrationStatus.Pending)
        {
            await Task.Delay(pause, cancellationToken);
            pause = TimeSpan.FromTicks(Math.Min(pause.Ticks * 2, TimeSpan.FromMilliseconds(50).Ticks));
        }
    }

    internal static byte[] TranslateWorkflowResponse(byte[] daprResponse)
    {
        var response = global::Dapr.DurableTask.Protobuf.WorkflowResponse.Parser.ParseFrom(daprResponse);
        foreach (var action in response.Actions)
        {
            if (action.ScheduleTask is { } scheduleTask)
            {
                scheduleTask.Router = null;
                scheduleTask.TaskExecutionId = string.Empty;
            }
        }
        return response.ToByteArray();
    }

    /// <summary>The methods daprd's TaskHubSidecarService has at the runtime version the environment models.</summary>
    internal sealed class MethodProvider(WorkflowRuntime runtime) : IServiceMethodProvider<WorkflowApi>
    {
        public void OnServiceMethodDiscovery(ServiceMethodProviderContext<WorkflowApi> context)
        {
            Unary(context, "Hello", Google.Protobuf.WellKnownTypes.Empty.Parser, (api, r, c) => api.Engine.Hello(r, c));
            Unary(context, "StartInstance", Ms.CreateInstanceRequest.Parser, (api, r, c) => api.StartInstanceAsync(r, c));
            // Like durabletask-go's createGetInstanceResponse, the engine leaves out input, output, custom status and
            // failure details unless the request asks for inputs and outputs.
            Unary(context, "GetInstance", Ms.GetInstanceRequest.Parser, (api, r, c) => api.Engine.GetInstance(r, c));
            Unary(context, "RaiseEvent", Ms.RaiseEventRequest.Parser, (api, r, c) => api.Engine.RaiseEvent(r, c));
            Unary(context, "TerminateInstance", Ms.TerminateRequest.Parser, (api, r, c) => api.Engine.TerminateInstance(r, c));
            Unary(context, "SuspendInstance", Ms.SuspendRequest.Parser, (api, r, c) => api.Engine.SuspendInstance(r, c));
            Unary(context, "ResumeInstance", Ms.ResumeRequest.Parser, (api, r, c) => api.Engine.ResumeInstance(r, c));
            Unary(context, "PurgeInstances", Ms.PurgeInstancesRequest.Parser, (api, r, c) => api.Engine.PurgeInstances(r, c));
            Unary(context, "WaitForInstanceStart", Ms.GetInstanceRequest.Parser, (api, r, c) => api.Engine.WaitForInstanceStart(r, c));
            Unary(context, "WaitForInstanceCompletion", Ms.GetInstanceRequest.Parser, (api, r, c) => api.Engine.WaitForInstanceCompletion(r, c));
            Unary(context, "CompleteActivityTask", Ms.ActivityResponse.Parser, (api, r, c) => api.Engine.CompleteActivityTask(r, c));
            Unary(context, "AbandonTaskActivityWorkItem", Ms.AbandonActivityTaskRequest.Parser, (api, r, c) => api.Engine.AbandonTaskActivityWorkItem(r, c));
            Unary(context, "AbandonTaskOrchestratorWorkItem", Ms.AbandonOrchestrationTaskRequest.Parser, (api, r, c) => api.Engine.AbandonTaskOrchestratorWorkItem(r, c));
            foreach (var name in new[] { "CompleteOrchestratorTask", "CompleteWorkflowTask" })
            {
                context.AddUnaryMethod(Bytes(MethodType.Unary, name), [], async (api, request, call) =>
                    (await api.Engine.CompleteOrchestratorTask(Ms.OrchestratorResponse.Parser.ParseFrom(TranslateWorkflowResponse(request)), call)).ToByteArray());
            }
            if (runtime.ServesInstanceHistory)
            {
                // Before 1.17 the method does not exist, so the call gets the UNIMPLEMENTED any gRPC server answers.
                Unary(context, "GetInstanceHistory", DaprProto.GetInstanceHistoryRequest.Parser, (api, r, c) => api.GetInstanceHistoryAsync(r, c));
            }
            context.AddServerStreamingMethod(Bytes(MethodType.ServerStreaming, "GetWorkItems"), [], (api, request, writer, call) =>
                api.GetWorkItemsAsync(Ms.GetWorkItemsRequest.Parser.ParseFrom(request), new BytesWriter<Ms.WorkItem>(writer), call));
        }

        private static void Unary<TRequest, TResponse>(ServiceMethodProviderContext<WorkflowApi> context, string name,
            MessageParser<TRequest> parser, Func<WorkflowApi, TRequest, ServerCallContext, Task<TResponse>> handler)
            where TRequest : IMessage<TRequest>
            where TResponse : IMessage<TResponse> =>
            context.AddUnaryMethod(Bytes(MethodType.Unary, name), [], async (api, request, call) =>
                (await handler(api, parser.ParseFrom(request), call)).ToByteArray());

        private static Method<byte[], byte[]> Bytes(MethodType type, string name) =>
            new(type, ServiceName, name, Marshallers.Create(b => b, b => b), Marshallers.Create(b => b, b => b));
    }

    private sealed class BytesWriter<T>(IServerStreamWriter<byte[]> inner) : IServerStreamWriter<T> where T : IMessage<T>
    {
        public WriteOptions? WriteOptions
        {
            get => inner.WriteOptions;
            set => inner.WriteOptions = value;
        }

        public Task WriteAsync(T message) => inner.WriteAsync(message.ToByteArray());
    }
}
