using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Kmrl.ClaimCheck;
using Kmrl.Connectors.SharePoint.Tests.Fakes;
using Kmrl.Contracts;
using Kmrl.Dapr.Testing;
using Kmrl.ServiceDefaults;
using Kmrl.Testing.Servers;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Kiota.Abstractions.Authentication;

namespace Kmrl.Connectors.SharePoint.Tests;

/// <summary>
/// sharepoint-connector's production Program.cs on the Dapr test sidecar, against the local Graph fake. Only the
/// token provider is swapped (no Entra ID here) and the base URL points at the fake.
/// </summary>
public sealed class SidecarEndToEndTests(RedisServer redis) : IClassFixture<RedisServer>, IAsyncLifetime
{
    private FakeGraph _graph = null!;

    public async Task InitializeAsync() => _graph = await FakeGraph.StartAsync();

    public async Task DisposeAsync() => await _graph.DisposeAsync();

    [Fact]
    public async Task A_file_in_the_library_becomes_document_discovered_on_pub_sub_with_a_readable_blob()
    {
        var folder = _graph.AddFolder("Drawings");
        _graph.AddFile("Viaduct pier P-112.pdf", folder, "%PDF viaduct pier drawing rev C");
        await using var environment = await DaprTestEnvironment.StartAsync(redis);
        var sidecar = await environment.StartSidecarAsync(DaprNames.AppIds.SharePointConnector);
        await using var app = new WebApplicationFactory<Program>().WithWebHostBuilder(web =>
        {
            foreach (var (key, value) in sidecar.AppConfiguration)
            {
                web.UseSetting(key, value);
            }
            web.UseSetting("SharePoint:GraphBaseUrl", _graph.GraphBaseUrl.ToString());
            web.UseSetting("SharePoint:Libraries:0:Site", FakeGraph.SiteUrl);
            web.UseSetting("SharePoint:Libraries:0:Library", "Documents");
            web.UseSetting("SharePoint:Libraries:0:Name", "engineering");
            web.ConfigureTestServices(services =>
            {
                services.RemoveAll<IAccessTokenProvider>();
                services.AddSingleton<IAccessTokenProvider, FakeTokenProvider>();
            });
        });
        app.UseKestrel(0);
        app.StartServer();
        await sidecar.AttachAppAsync(app.ClientOptions.BaseAddress);

        Assert.Equal(HttpStatusCode.Accepted, await sidecar.FireCronAsync(DaprNames.Bindings.SharePointSchedule));
        var events = await environment.WaitForPublishedAsync(DaprNames.Topics.DocumentDiscovered, 1, TimeSpan.FromSeconds(60));

        var discovered = Assert.Single(events).GetProperty("data").Deserialize<DocumentDiscovered>(KmrlJson.Options)!;
        var expected = Encoding.UTF8.GetBytes("%PDF viaduct pier drawing rev C");
        Assert.Equal(DocumentSources.SharePoint, discovered.Source);
        Assert.Equal("Viaduct pier P-112.pdf", discovered.FileName);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(expected)), discovered.Sha256);
        using var client = sidecar.CreateClient();
        var options = Microsoft.Extensions.Options.Options.Create(new ClaimCheckOptions());
        var store = new ChunkedContentStore(new DaprBindingBlobStorage(client, options), options);
        await using var blob = await store.OpenReadAsync(discovered.Blob, CancellationToken.None);
        var copy = new MemoryStream();
        await blob.CopyToAsync(copy);
        Assert.Equal(expected, copy.ToArray());
    }
}
