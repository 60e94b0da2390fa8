extern alias whatsapp;

using System.Net;
using System.Text;
using System.Text.Json;
using Kmrl.Contracts;
using Kmrl.Dapr.Testing;
using Kmrl.Reliability.Tests.BadInput;
using Kmrl.ServiceDefaults;
using Kmrl.Testing.Fakes;
using Kmrl.Testing.Servers;
using Microsoft.AspNetCore.Mvc.Testing;

namespace Kmrl.Reliability.Tests.Security;

/// <summary>whatsapp-connector's production Program on the test sidecar, app secret and verify token in its secret store.</summary>
public sealed class WhatsAppSignatureFixture : IAsyncLifetime
{
    public const string VerifyToken = "r4-verify-token-8c1e";
    private readonly RedisServer _redis = new();
    private DaprTestEnvironment _environment = null!;
    private WebApplicationFactory<whatsapp::Program> _app = null!;

    public FakeCloudApi Cloud { get; private set; } = null!;

    public DaprSidecar Sidecar { get; private set; } = null!;

    public HttpClient Http { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        await _redis.InitializeAsync();
        Cloud = await FakeCloudApi.StartAsync();
        _environment = await DaprTestEnvironment.StartAsync(_redis, options => options.Secrets["whatsapp"] = new Dictionary<string, object>
        {
            ["access-token"] = FakeCloudApi.AccessToken,
            ["app-secret"] = WebhookCases.AppSecret,
            ["verify-token"] = VerifyToken,
        });
        Sidecar = await _environment.StartSidecarAsync(DaprNames.AppIds.WhatsAppConnector);
        _app = await Sidecar.StartAppAsync<whatsapp::Program>(new Dictionary<string, string> { ["WhatsApp:GraphBaseUrl"] = Cloud.BaseUrl.ToString() });
        Http = new HttpClient { BaseAddress = _app.ClientOptions.BaseAddress };
    }

    public async Task<HttpStatusCode> DeliverAsync(string body, string? signature)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/webhooks/whatsapp") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        if (signature is not null)
        {
            request.Headers.TryAddWithoutValidation("X-Hub-Signature-256", signature);
        }
        using var response = await Http.SendAsync(request);
        return response.StatusCode;
    }

    public async Task<bool> IsStoredAsync(string messageId)
    {
        using var client = Sidecar.CreateClient();
        // The connector host's inbox item for the message (what an accepted webhook stores).
        var key = Kmrl.Connectors.Dapr.StateKeys.InboxItem(DocumentSources.WhatsApp, new whatsapp::Kmrl.Connectors.WhatsApp.WhatsAppOptions().SourceName, messageId);
        var entry = await client.GetStateAsync<JsonElement?>(DaprNames.Components.StateStore, key);
        return entry is { ValueKind: JsonValueKind.Object };
    }

    public async Task<IReadOnlyList<DocumentDiscovered>> DiscoveredAsync() =>
        (await _environment.PublishedAsync(DaprNames.Topics.DocumentDiscovered))
            .Select(e => e.GetProperty("data").Deserialize<DocumentDiscovered>(KmrlJson.Options)!)
            .ToList();

    public async Task DisposeAsync()
    {
        Http?.Dispose();
        await _app.DisposeAsync();
        await _environment.DisposeAsync();
        await Cloud.DisposeAsync();
        await _redis.DisposeAsync();
    }
}
