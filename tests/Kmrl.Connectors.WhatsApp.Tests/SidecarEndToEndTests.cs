using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using Kmrl.ClaimCheck;
using Kmrl.Connectors.WhatsApp.Tests.Fakes;
using Kmrl.Connectors.WhatsApp.Webhooks;
using Kmrl.Contracts;
using Kmrl.Dapr.Testing;
using Kmrl.ServiceDefaults;
using Kmrl.Testing.Servers;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Xunit.Abstractions;

namespace Kmrl.Connectors.WhatsApp.Tests;

/// <summary>
/// whatsapp-connector's production Program.cs on the Dapr test sidecar (real Redis state, pub/sub streams, blob
/// binding, secret store): signed webhook → pending item → push-triggered host run → media from the fake Cloud API
/// → DocumentDiscovered with a readable blob. The arrival-to-publish time is reported, not asserted.
/// </summary>
public sealed class SidecarEndToEndTests(RedisServer redis, ITestOutputHelper output) : IClassFixture<RedisServer>, IAsyncLifetime
{
    private FakeCloudApi _cloud = null!;

    public async Task InitializeAsync() => _cloud = await FakeCloudApi.StartAsync();

    public async Task DisposeAsync() => await _cloud.DisposeAsync();

    [Fact]
    public async Task A_signed_webhook_becomes_document_discovered_on_pub_sub_with_a_readable_blob()
    {
        await using var environment = await DaprTestEnvironment.StartAsync(redis, options =>
            options.Secrets["whatsapp"] = new Dictionary<string, object>
            {
                ["access-token"] = FakeSecrets.AccessToken,
                ["app-secret"] = FakeSecrets.AppSecret,
                ["verify-token"] = FakeSecrets.VerifyToken,
            });
        var sidecar = await environment.StartSidecarAsync(DaprNames.AppIds.WhatsAppConnector);
        await using var app = new WebApplicationFactory<Program>().WithWebHostBuilder(web =>
        {
            foreach (var (key, value) in sidecar.AppConfiguration)
            {
                web.UseSetting(key, value);
            }
            web.UseSetting("WhatsApp:GraphBaseUrl", _cloud.BaseUrl.ToString());
        });
        app.UseKestrel(0);
        app.StartServer();
        await sidecar.AttachAppAsync(app.ClientOptions.BaseAddress);
        using var http = new HttpClient { BaseAddress = app.ClientOptions.BaseAddress };

        var content = Encoding.UTF8.GetBytes("%PDF-1.7 track inspection report, Vyttila");
        _cloud.Add("media-sidecar", content);
        var body = Payloads.Body([Payloads.Change(
            [Payloads.Message("wamid.SIDECAR", "919847000002", "document", mediaId: "media-sidecar", sha256: FakeCloudApi.HexSha256(content),
                fileName: "track-inspection.pdf", caption: "Vyttila")],
            contacts: ("919847000002", "Rajesh P"))]);
        using var request = new StringContent(body, Encoding.UTF8, "application/json");
        request.Headers.Add(WebhookSignature.HeaderName,
            WebhookSignature.Compute(Encoding.UTF8.GetBytes(body), Encoding.UTF8.GetBytes(FakeSecrets.AppSecret)));

        var clock = Stopwatch.StartNew();
        var response = await http.PostAsync("/webhooks/whatsapp", request);
        var events = await environment.WaitForPublishedAsync(DaprNames.Topics.DocumentDiscovered, 1, TimeSpan.FromSeconds(60));
        output.WriteLine($"DocumentDiscovered on pub/sub {clock.Elapsed.TotalMilliseconds:0} ms after the webhook arrived");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var discovered = Assert.Single(events).GetProperty("data").Deserialize<DocumentDiscovered>(KmrlJson.Options)!;
        Assert.Equal(DocumentSources.WhatsApp, discovered.Source);
        Assert.Equal("track-inspection.pdf", discovered.FileName);
        Assert.Equal(FakeCloudApi.HexSha256(content), discovered.Sha256);
        using var client = sidecar.CreateClient();
        var options = Microsoft.Extensions.Options.Options.Create(new ClaimCheckOptions());
        var store = new ChunkedContentStore(new DaprBindingBlobStorage(client, options), options);
        await using var blob = await store.OpenReadAsync(discovered.Blob, CancellationToken.None);
        var copy = new MemoryStream();
        await blob.CopyToAsync(copy);
        Assert.Equal(content, copy.ToArray());
    }
}
