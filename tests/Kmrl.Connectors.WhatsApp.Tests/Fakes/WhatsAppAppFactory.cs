using Kmrl.Connectors.WhatsApp.Pending;
using Kmrl.ServiceDefaults.Secrets;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Kmrl.Connectors.WhatsApp.Tests.Fakes;

/// <summary>The real connector app with in-memory ports and the media API pointed at a local fake.</summary>
public sealed class WhatsAppAppFactory(Uri cloudApi, Action<IWebHostBuilder>? configure = null) : WebApplicationFactory<Program>
{
    public InMemoryPendingMediaStore Store { get; } = new();
    public RecordingSyncRequests SyncRequests { get; } = new();

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        builder.UseSetting("WhatsApp:GraphBaseUrl", cloudApi.ToString());
        configure?.Invoke(builder);
        builder.ConfigureTestServices(services =>
        {
            services.RemoveAll<ISecretProvider>();
            services.AddSingleton<ISecretProvider, FakeSecrets>();
            services.RemoveAll<IPendingMediaStore>();
            services.AddSingleton<IPendingMediaStore>(Store);
            services.RemoveAll<ISyncRequests>();
            services.AddSingleton<ISyncRequests>(SyncRequests);
        });
    }
}
