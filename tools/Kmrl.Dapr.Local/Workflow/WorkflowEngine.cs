using DurableTask.Core;
using Grpc.AspNetCore.Server.Model;
using Microsoft.DurableTask.Testing.Sidecar;
using Microsoft.DurableTask.Testing.Sidecar.Grpc;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;

namespace Kmrl.Dapr.Testing.Workflow;

/// <summary>What differs between the daprd versions the double can stand for, for workflows.</summary>
/// <param name="ServesInstanceHistory">GetInstanceHistory exists from runtime 1.17 (durabletask-go v0.11).</param>
internal sealed record WorkflowRuntime(bool ServesInstanceHistory)
{
    public static readonly Version FirstWithInstanceHistory = new(1, 17);

    public static WorkflowRuntime For(Version runtimeVersion) => new(runtimeVersion >= FirstWithInstanceHistory);
}

internal static class WorkflowEngine
{
    /// <summary>A DurableTask.Core in-memory engine per sidecar, behind Dapr's dialect of TaskHubSidecarService.</summary>
    public static IServiceCollection AddWorkflowEngine(this IServiceCollection services, DaprTestOptions options, WorkflowLimits limits)
    {
        services.AddSingleton(WorkflowRuntime.For(options.RuntimeVersion));
        services.AddSingleton<WorkflowHistories>();
        services.AddSingleton(provider => new InMemoryOrchestrationService(provider.GetRequiredService<ILoggerFactory>()));
        // The dispatchers take as many work items at once as the sidecar Configuration lets daprd hand out.
        services.AddSingleton<IOrchestrationService>(provider => new ConcurrentOrchestrationService(
            provider.GetRequiredService<InMemoryOrchestrationService>(), limits.Workflows, limits.Activities, provider.GetRequiredService<WorkflowHistories>()));
        services.AddSingleton<IOrchestrationServiceClient>(provider => provider.GetRequiredService<InMemoryOrchestrationService>());
        services.AddSingleton<TaskHubGrpcServer>();
        services.AddSingleton(provider => new WorkflowApi(
            provider.GetRequiredService<TaskHubGrpcServer>(), provider.GetRequiredService<IOrchestrationServiceClient>(), provider.GetRequiredService<WorkflowHistories>()));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IServiceMethodProvider<WorkflowApi>, WorkflowApi.MethodProvider>());
        return services;
    }
}
