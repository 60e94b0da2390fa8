using Kmrl.BuildingBlocks.PubSub;
using Kmrl.BuildingBlocks.Secrets;
using Kmrl.ClaimCheck;
using Kmrl.Connectors.Ports;
using Kmrl.Connectors.Testing;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Kmrl.Connectors.WhatsApp.Tests.Fakes;

/// <summary>
/// The real connector app with in-memory ports and the media API pointed at a local fake. Sync requests are only
/// recorded; tests run the host's runner themselves (the whole path runs in SidecarEndToEndTests).
/// </summary>
public sealed class WhatsAppAppFactory(Uri cloudApi, Action<IWebHostBuilder>? configure = null) : WebApplicationFactory<Program>
{
    public InMemoryInboxStore Inbox { get; } = new();
    public RecordingSyncRequests SyncRequests { get; } = new();
    public RecordingPublisher Publisher { get; } = new();
    public InMemorySkippedItems SkippedItems { get; } = new();

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        builder.UseSetting("WhatsApp:GraphBaseUrl", cloudApi.ToString());
        configure?.Invoke(builder);
        builder.ConfigureTestServices(services =>
        {
            services.RemoveAll<ISecretProvider>();
            services.AddSingleton<ISecretProvider, FakeSecrets>();
            services.RemoveAll<IInboxStore>();
            services.AddSingleton<IInboxStore>(Inbox);
            services.RemoveAll<ISyncLock>();
            services.AddSingleton<ISyncLock, GrantingSyncLock>();
            services.RemoveAll<ICheckpointStore>();
            services.AddSingleton<ICheckpointStore, InMemoryCheckpointStore>();
            services.RemoveAll<IEventPublisher>();
            services.AddSingleton<IEventPublisher>(Publisher);
            services.RemoveAll<ISkippedItemStore>();
            services.AddSingleton<ISkippedItemStore>(SkippedItems);
            services.RemoveAll<IBlobStorage>();
            services.AddSingleton<IBlobStorage, InMemoryBlobStorage>();
            services.RemoveAll<ISyncRequests>();
            services.AddSingleton<ISyncRequests>(SyncRequests);
        });
    }
}
