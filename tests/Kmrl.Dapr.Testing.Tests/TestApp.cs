using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Kmrl.Dapr.Testing.Tests;

/// <summary>A small ASP.NET app wired to a sidecar double exactly as a service is: by DAPR_* configuration.</summary>
internal static class TestApp
{
    public static async Task<WebApplication> StartAsync(DaprSidecar sidecar, Action<WebApplication> map)
    {
        var builder = WebApplication.CreateBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Configuration.AddInMemoryCollection(sidecar.AppConfiguration);
        builder.Services.AddDaprClient();
        var app = builder.Build();
        app.UseCloudEvents();
        app.MapSubscribeHandler();
        map(app);
        await app.StartAsync();
        await sidecar.AttachAppAsync(new Uri(app.Urls.First()));
        return app;
    }
}
