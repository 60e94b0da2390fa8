using Google.Protobuf;
using Grpc.AspNetCore.Server.Model;
using Grpc.Core;
using Microsoft.DurableTask.Testing.Sidecar.Grpc;
using Ms = Microsoft.DurableTask.Protobuf;

namespace Kmrl.Dapr.Testing.Workflow;

/// <summary>
/// The durabletask <c>TaskHubSidecarService</c> that Dapr.Workflow's worker and client talk to, served by a real
/// DurableTask.Core in-memory engine (<see cref="TaskHubGrpcServer"/> from Microsoft.DurableTask.InProcessTestHost).
/// Requests arrive as bytes in Dapr's dialect of the protocol and are translated before the engine parses them:
/// Dapr's fork reuses two fields of ScheduleTaskAction (4 = router, 5 = taskExecutionId as a string) where
/// Microsoft's has tags and a parent trace context, so those two are cleared. Nothing else is rewritten; what the
/// translation drops is listed in the README.
/// </summary>
public sealed class WorkflowApi(TaskHubGrpcServer engine)
{
    public const string ServiceName = "TaskHubSidecarService";

    internal TaskHubGrpcServer Engine { get; } = engine;

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

    internal sealed class MethodProvider : IServiceMethodProvider<WorkflowApi>
    {
        public void OnServiceMethodDiscovery(ServiceMethodProviderContext<WorkflowApi> context)
        {
            Unary(context, "Hello", Google.Protobuf.WellKnownTypes.Empty.Parser, (api, r, c) => api.Engine.Hello(r, c));
            Unary(context, "StartInstance", Ms.CreateInstanceRequest.Parser, (api, r, c) => api.Engine.StartInstance(r, c));
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
            context.AddServerStreamingMethod(Bytes(MethodType.ServerStreaming, "GetWorkItems"), [], (api, request, writer, call) =>
                api.Engine.GetWorkItems(Ms.GetWorkItemsRequest.Parser.ParseFrom(request), new BytesWriter<Ms.WorkItem>(writer), call));
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
