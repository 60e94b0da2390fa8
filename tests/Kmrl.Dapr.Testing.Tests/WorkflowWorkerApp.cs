using Dapr.Workflow;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Kmrl.Dapr.Testing.Tests;

/// <summary>An app with the Dapr.Workflow worker and client, configured for a sidecar of the double (not started).</summary>
internal static class WorkflowWorkerApp
{
    public static WebApplication Build(DaprSidecar sidecar, Action<WorkflowRuntimeOptions> register)
    {
        var builder = WebApplication.CreateBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Configuration.AddInMemoryCollection(sidecar.AppConfiguration);
        builder.Services.AddDaprWorkflow(register);
        return builder.Build();
    }
}
