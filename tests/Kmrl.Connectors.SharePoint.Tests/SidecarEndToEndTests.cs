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
        await using var app = await sidecar.StartAppAsync<Program>(new Dictionary<string, string>
        {
            ["SharePoint:GraphBaseUrl"] = _graph.GraphBaseUrl.ToString(),
            ["SharePoint:Libraries:0:Site"] = FakeGraph.SiteUrl,
            ["SharePoint:Libraries:0:Library"] = "Documents",
            ["SharePoint:Libraries:0:Name"] = "engineering",
        }, web => web.ConfigureTestServices(services =>
        {
            services.RemoveAll<IAccessTokenProvider>();
            services.AddSingleton<IAccessTokenProvider, FakeTokenProvider>();
        }));

        Assert.Equal(HttpStatusCode.OK, await sidecar.FireCronAsync(DaprNames.Bindings.SharePointSchedule));
        var discovered = Assert.Single(await environment.WaitForEventsAsync<DocumentDiscovered>(DaprNames.Topics.DocumentDiscovered, 1));
        var expected = Encoding.UTF8.GetBytes("%PDF viaduct pier drawing rev C");
        Assert.Equal(DocumentSources.SharePoint, discovered.Source);
        Assert.Equal("Viaduct pier P-112.pdf", discovered.FileName);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(expected)), discovered.Sha256);
        Assert.Equal(expected, await sidecar.ReadBlobAsync(discovered.Blob));
    }
}
