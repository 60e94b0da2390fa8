using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using Kmrl.ClaimCheck;
using Kmrl.Connectors.Dapr;
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
/// binding, secret store): signed webhook → inbox item → push-triggered host run → media from the fake Cloud API
/// → DocumentDiscovered with a readable blob → the inbox item completed. The arrival-to-publish time is reported, not asserted.
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
        {
            options.Log = output.WriteLine;
            options.Secrets["whatsapp"] = new Dictionary<string, object>
            {
                ["access-token"] = WhatsAppSecrets.AccessToken,
                ["app-secret"] = WhatsAppSecrets.AppSecret,
                ["verify-token"] = WhatsAppSecrets.VerifyToken,
            };
        });
        var sidecar = await environment.StartSidecarAsync(DaprNames.AppIds.WhatsAppConnector);
        await using var app = await sidecar.StartAppAsync<Program>(new Dictionary<string, string> { ["WhatsApp:GraphBaseUrl"] = _cloud.BaseUrl.ToString() });
        using var http = new HttpClient { BaseAddress = app.ClientOptions.BaseAddress };

        var content = Encoding.UTF8.GetBytes("%PDF-1.7 track inspection report, Vyttila");
        _cloud.Add("media-sidecar", content);
        var body = WhatsAppPayloads.Body([WhatsAppPayloads.Change(
            [WhatsAppPayloads.Message("wamid.SIDECAR", "919847000002", "document", mediaId: "media-sidecar", sha256: FakeCloudApi.HexSha256(content),
                fileName: "track-inspection.pdf", caption: "Vyttila")],
            contacts: ("919847000002", "Rajesh P"))]);
        using var request = new StringContent(body, Encoding.UTF8, "application/json");
        request.Headers.Add(WebhookSignature.HeaderName,
            WebhookSignature.Compute(Encoding.UTF8.GetBytes(body), Encoding.UTF8.GetBytes(WhatsAppSecrets.AppSecret)));

        var clock = Stopwatch.StartNew();
        var response = await http.PostAsync("/webhooks/whatsapp", request);
        var events = await environment.WaitForEventsAsync<DocumentDiscovered>(DaprNames.Topics.DocumentDiscovered, 1);
        output.WriteLine($"DocumentDiscovered on pub/sub {clock.Elapsed.TotalMilliseconds:0} ms after the webhook arrived");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var discovered = Assert.Single(events);
        Assert.Equal(DocumentSources.WhatsApp, discovered.Source);
        Assert.EndsWith("wamid.SIDECAR", discovered.SourceId);
        Assert.Equal("track-inspection.pdf", discovered.FileName);
        Assert.Equal(FakeCloudApi.HexSha256(content), discovered.Sha256);
        Assert.Equal("Rajesh P", discovered.SourceMetadata["profile_name"]);
        Assert.Equal("Vyttila", discovered.SourceMetadata["caption"]);
        Assert.Equal(content, await sidecar.ReadBlobAsync(discovered.Blob));

        // The inbox item is completed once the host has stored the checkpoint after it.
        using var client = sidecar.CreateClient();
        var key = StateKeys.InboxItem(DocumentSources.WhatsApp, new WhatsAppOptions().SourceName, "wamid.SIDECAR");
        async Task<string?> StatusAsync() => (await client.GetStateAsync<JsonElement>(DaprNames.Components.StateStore, key)).GetProperty("status").GetString();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (await StatusAsync() != "completed" && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }
        Assert.Equal("completed", await StatusAsync());
    }
}
