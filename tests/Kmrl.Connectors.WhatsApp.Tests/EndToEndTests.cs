using System.Diagnostics;
using System.Net;
using System.Text;
using Kmrl.ClaimCheck;
using Kmrl.Connectors.WhatsApp.Pending;
using Kmrl.Connectors.WhatsApp.Tests.Fakes;
using Kmrl.Connectors.WhatsApp.Webhooks;
using Kmrl.Contracts;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace Kmrl.Connectors.WhatsApp.Tests;

/// <summary>
/// The whole app in-process: signed webhook → pending item → the real connector host's run (push-triggered) →
/// media download from the fake Cloud API → claim check → DocumentDiscovered. The host's Dapr ports are in memory
/// (no sidecar here); the blob is read back through the real chunked content store.
/// </summary>
public sealed class EndToEndTests(ITestOutputHelper output) : IAsyncLifetime
{
    private FakeCloudApi _cloud = null!;

    public async Task InitializeAsync() => _cloud = await FakeCloudApi.StartAsync();

    public async Task DisposeAsync() => await _cloud.DisposeAsync();

    [Fact]
    public async Task A_signed_webhook_becomes_a_published_document_with_a_readable_blob()
    {
        await using var factory = new WhatsAppAppFactory(_cloud.BaseUrl, withHost: true);
        var client = factory.CreateClient();
        var content = Encoding.UTF8.GetBytes("%PDF-1.7 rolling stock inspection, coach 3");
        _cloud.Add("media-e2e", content);
        var body = Payloads.Body([Payloads.Change(
            [Payloads.Message("wamid.E2E", "919847000001", "document", mediaId: "media-e2e", sha256: FakeCloudApi.HexSha256(content),
                fileName: "coach-3-inspection.pdf", caption: "Coach 3")],
            contacts: ("919847000001", "Anitha K"))]);
        using var request = new StringContent(body, Encoding.UTF8, "application/json");
        request.Headers.Add(WebhookSignature.HeaderName,
            WebhookSignature.Compute(Encoding.UTF8.GetBytes(body), Encoding.UTF8.GetBytes(FakeSecrets.AppSecret)));

        var clock = Stopwatch.StartNew();
        var response = await client.PostAsync("/webhooks/whatsapp", request);
        var acknowledged = clock.Elapsed;
        var discovered = await factory.Publisher.FirstDiscovered.Task.WaitAsync(TimeSpan.FromSeconds(30));
        var published = clock.Elapsed;
        output.WriteLine($"webhook acknowledged after {acknowledged.TotalMilliseconds:0} ms; DocumentDiscovered published {published.TotalMilliseconds:0} ms after arrival");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(DocumentSources.WhatsApp, discovered.Source);
        Assert.EndsWith("wamid.E2E", discovered.SourceId);
        Assert.Equal("coach-3-inspection.pdf", discovered.FileName);
        Assert.Equal(FakeCloudApi.HexSha256(content), discovered.Sha256);
        Assert.Equal("Anitha K", discovered.SourceMetadata["profile_name"]);
        Assert.Equal("Coach 3", discovered.SourceMetadata["caption"]);
        var store = factory.Services.GetRequiredService<IDocumentContentStore>();
        await using (var blob = await store.OpenReadAsync(discovered.Blob, CancellationToken.None))
        {
            using var buffer = new MemoryStream();
            await blob.CopyToAsync(buffer);
            Assert.Equal(content, buffer.ToArray());
        }
        // The item is marked done once the host has stored the checkpoint after it.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while ((await factory.Store.GetAsync("wamid.E2E", default))!.Status != PendingMediaStatus.Done && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }
        Assert.Equal(PendingMediaStatus.Done, (await factory.Store.GetAsync("wamid.E2E", default))!.Status);
    }
}
