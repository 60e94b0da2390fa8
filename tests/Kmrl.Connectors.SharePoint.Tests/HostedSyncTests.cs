using Kmrl.ClaimCheck;
using Kmrl.Connectors.SharePoint.Tests.Fakes;
using Kmrl.Contracts;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Kiota.Abstractions.Authentication;

namespace Kmrl.Connectors.SharePoint.Tests;

/// <summary>
/// The SharePoint registrations under the real connector host (its Dapr ports in memory): a sync request runs the
/// drive source, content goes through the chunked claim check, DocumentDiscovered/DocumentRemovedAtSource come out.
/// </summary>
public sealed class HostedSyncTests : IAsyncLifetime
{
    private FakeGraph _graph = null!;

    public async Task InitializeAsync() => _graph = await FakeGraph.StartAsync();

    public async Task DisposeAsync() => await _graph.DisposeAsync();

    [Fact]
    public async Task A_library_sync_under_the_connector_host_publishes_readable_documents_and_removals()
    {
        var folder = _graph.AddFolder("Circulars");
        var first = _graph.AddFile("Circular 1.pdf", folder, "%PDF circular one");
        var second = _graph.AddFile("Circular 2.pdf", folder, "%PDF circular two");
        var publisher = new RecordingPublisher();
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { EnvironmentName = "Testing" });
        builder.Logging.ClearProviders();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["SharePoint:GraphBaseUrl"] = _graph.GraphBaseUrl.ToString(),
            ["SharePoint:Libraries:0:Site"] = FakeGraph.SiteUrl,
            ["SharePoint:Libraries:0:Library"] = "Documents",
            ["SharePoint:Libraries:0:Name"] = "engineering",
        });
        builder.AddConnectorHost(DocumentSources.SharePoint, DaprNames.Bindings.SharePointSchedule);
        builder.AddSharePointSources();
        builder.Services.RemoveAll<IAccessTokenProvider>();
        builder.Services.AddSingleton<IAccessTokenProvider, FakeTokenProvider>();
        new ConnectorPorts { Publisher = publisher }.ReplaceIn(builder.Services);
        using var host = builder.Build();
        await host.StartAsync();
        var requests = host.Services.GetRequiredService<ISyncRequests>();

        requests.Request("engineering");
        await WaitUntil(() => publisher.Discovered.Count == 2);
        _graph.Delete(first);
        requests.Request("engineering");
        await WaitUntil(() => publisher.Events.Any(e => e.Event is DocumentRemovedAtSource));
        await host.StopAsync();

        Assert.Equal(new[] { "engineering/" + first, "engineering/" + second }.Order(), publisher.Discovered.Select(d => d.SourceId).Order());
        var store = host.Services.GetRequiredService<IDocumentContentStore>();
        foreach (var discovered in publisher.Discovered)
        {
            await using var blob = await store.OpenReadAsync(discovered.Blob, CancellationToken.None);
            using var buffer = new MemoryStream();
            await blob.CopyToAsync(buffer);
            Assert.Equal(_graph.ContentOf(discovered.SourceId.Split('/')[1]), buffer.ToArray());
            Assert.Equal("/Circulars/" + discovered.FileName, discovered.SourceMetadata["path"]);
        }
        var removed = publisher.Events.Select(e => e.Event).OfType<DocumentRemovedAtSource>().Single();
        Assert.Equal("engineering/" + first, removed.SourceId);
        Assert.Equal("deleted", removed.Reason);
        Assert.Equal(2, publisher.Discovered.Count);
    }

    private static async Task WaitUntil(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "timed out waiting for the host");
            await Task.Delay(50);
        }
    }
}
