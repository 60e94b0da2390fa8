using Kmrl.Connectors.Testing;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Kmrl.Connectors.WhatsApp.Tests.Fakes;

/// <summary>
/// The real connector app with the kit's in-memory ports and the media API pointed at a local fake. Sync requests are
/// only recorded; tests run the host's runner themselves (the whole path runs in SidecarEndToEndTests).
/// </summary>
public sealed class WhatsAppAppFactory(Uri cloudApi, Action<IWebHostBuilder>? configure = null) : WebApplicationFactory<Program>
{
    public ConnectorPorts Ports { get; } = new() { Secrets = WhatsAppSecrets.Create() };
    public InMemoryInboxStore Inbox => Ports.Inbox;
    public RecordingSyncRequests SyncRequests { get; } = new();
    public RecordingPublisher Publisher => Ports.Publisher;
    public InMemorySkippedItems SkippedItems => Ports.SkippedItems;

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        builder.UseSetting("WhatsApp:GraphBaseUrl", cloudApi.ToString());
        configure?.Invoke(builder);
        builder.ConfigureTestServices(services =>
        {
            Ports.ReplaceIn(services);
            services.RemoveAll<ISyncRequests>();
            services.AddSingleton<ISyncRequests>(SyncRequests);
        });
    }
}

public sealed class RecordingSyncRequests : ISyncRequests
{
    private readonly List<string> _requests = [];

    public IReadOnlyList<string> Requests
    {
        get { lock (_requests) { return _requests.ToList(); } }
    }

    public void Request(string sourceName)
    {
        lock (_requests)
        {
            _requests.Add(sourceName);
        }
    }
}
