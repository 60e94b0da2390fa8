using System.Net;
using System.Net.Sockets;
using Kmrl.Connectors.WhatsApp.Tests.Fakes;
using Microsoft.AspNetCore.Hosting;

namespace Kmrl.Connectors.WhatsApp.Tests;

/// <summary>
/// With <c>WhatsApp:WebhookPort</c> set, the public port answers the webhook and nothing else, and the app port
/// never answers the webhook: the ingress and the NetworkPolicy expose exactly one anonymous route (issue 18).
/// </summary>
public sealed class WebhookPortTests : IAsyncLifetime
{
    private const string Handshake = $"/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token={WhatsAppSecrets.VerifyToken}&hub.challenge=42";
    private FakeCloudApi _cloud = null!;
    private WhatsAppAppFactory _factory = null!;
    private HttpClient _app = null!;
    private HttpClient _webhook = null!;

    public async Task InitializeAsync()
    {
        _cloud = await FakeCloudApi.StartAsync();
        var appPort = FreePort();
        var webhookPort = FreePort();
        _factory = new WhatsAppAppFactory(_cloud.BaseUrl, web => web.UseSetting("WhatsApp:WebhookPort", webhookPort.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        _factory.UseKestrel(kestrel =>
        {
            kestrel.Listen(IPAddress.Loopback, appPort);
            kestrel.Listen(IPAddress.Loopback, webhookPort);
        });
        _factory.StartServer();
        _app = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{appPort}") };
        _webhook = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{webhookPort}") };
    }

    public async Task DisposeAsync()
    {
        _app.Dispose();
        _webhook.Dispose();
        await _factory.DisposeAsync();
        await _cloud.DisposeAsync();
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    [Fact]
    public async Task The_webhook_port_answers_the_webhook_and_nothing_else()
    {
        using var handshake = await _webhook.GetAsync(Handshake);
        Assert.Equal(HttpStatusCode.OK, handshake.StatusCode);
        Assert.Equal("42", await handshake.Content.ReadAsStringAsync());

        foreach (var path in new[] { "/health", "/alive", "/connector/status" })
        {
            using var response = await _webhook.GetAsync(path);
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        }
        using var schedule = await _webhook.PostAsync("/whatsapp-schedule", null);
        Assert.Equal(HttpStatusCode.NotFound, schedule.StatusCode);
        using var sync = await _webhook.PostAsync("/connector/sources/whatsapp-inbound/sync", null);
        Assert.Equal(HttpStatusCode.NotFound, sync.StatusCode);
    }

    [Fact]
    public async Task The_app_port_serves_probes_but_not_the_webhook_even_with_a_forged_host_header()
    {
        using var alive = await _app.GetAsync("/alive");
        Assert.Equal(HttpStatusCode.OK, alive.StatusCode);

        using var handshake = await _app.GetAsync(Handshake);
        Assert.Equal(HttpStatusCode.NotFound, handshake.StatusCode);

        // The Host header is the caller's choice; the port the connection came in on is not.
        using var forged = new HttpRequestMessage(HttpMethod.Get, "/connector/status");
        forged.Headers.Host = "127.0.0.1:" + _app.BaseAddress!.Port;
        using var viaWebhook = await _webhook.SendAsync(forged);
        Assert.Equal(HttpStatusCode.NotFound, viaWebhook.StatusCode);
    }
}
