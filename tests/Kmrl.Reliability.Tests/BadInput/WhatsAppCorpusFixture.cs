extern alias whatsapp;

using Kmrl.Reliability.Tests.Support;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Kmrl.Contracts;
using Kmrl.Dapr.Testing;
using Kmrl.Testing.Fakes;
using Kmrl.Testing.Servers;
using Microsoft.AspNetCore.Mvc.Testing;

namespace Kmrl.Reliability.Tests.BadInput;

/// <summary>
/// whatsapp-connector's production Program on the test sidecar with the fake Cloud API, started once; every case of
/// <see cref="WebhookCases"/> is delivered concurrently and followed until it has an outcome.
/// </summary>
public sealed class WhatsAppCorpusFixture : IAsyncLifetime
{
    private static readonly TimeSpan OutcomeTimeout = TimeSpan.FromSeconds(90);
    private readonly Dictionary<string, Task<string>> _outcomes = new(StringComparer.Ordinal);
    private readonly RedisServer _redis = new();
    private DaprTestEnvironment _environment = null!;
    private WebApplicationFactory<whatsapp::Program> _app = null!;

    public FakeCloudApi Cloud { get; private set; } = null!;

    public DaprSidecar Sidecar { get; private set; } = null!;

    public DaprTestEnvironment Environment => _environment;

    public HttpClient Http { get; private set; } = null!;

    public Task AllCases => Task.WhenAll(_outcomes.Values);

    public async Task InitializeAsync()
    {
        await _redis.InitializeAsync();
        Cloud = await FakeCloudApi.StartAsync();
        _environment = await DaprTestEnvironment.StartAsync(_redis, options =>
        {
            options.Secrets["whatsapp"] = new Dictionary<string, object>
            {
                ["access-token"] = FakeCloudApi.AccessToken,
                ["app-secret"] = WebhookCases.AppSecret,
                ["verify-token"] = "r3-verify-token",
            };
            OperatorAccess.Grant(options);
        });
        Sidecar = await _environment.StartSidecarAsync(DaprNames.AppIds.WhatsAppConnector);
        _app = await Sidecar.StartAppAsync<whatsapp::Program>(new Dictionary<string, string>
        {
            ["WhatsApp:GraphBaseUrl"] = Cloud.BaseUrl.ToString(),
            ["Connector:Filters:MaxSizeBytes"] = WebhookCases.MaxSizeBytes.ToString(CultureInfo.InvariantCulture),
            // Dead-lettering takes MaxDocumentAttempts tries with backoff; keep the corpus fast.
            ["Connector:RetryBaseDelay"] = "00:00:00.200",
            ["Connector:RetryMaxDelay"] = "00:00:01",
        });
        Http = OperatorAccess.Client(_app.ClientOptions.BaseAddress);
        foreach (var item in WebhookCases.All)
        {
            var delivery = item.Prepare(Cloud);
            _outcomes[item.Name] = Task.Run(() => RunAsync(delivery));
        }
    }

    public Task<string> OutcomeOfAsync(string caseName) => _outcomes[caseName];

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

    /// <summary>The connector host's inbox item the webhook stored for a message, if any.</summary>
    public async Task<JsonElement?> InboxEntryAsync(string messageId)
    {
        using var client = Sidecar.CreateClient();
        var key = Kmrl.Connectors.Dapr.StateKeys.InboxItem(DocumentSources.WhatsApp, new whatsapp::Kmrl.Connectors.WhatsApp.WhatsAppOptions().SourceName, messageId);
        var entry = await client.GetStateAsync<JsonElement?>(DaprNames.Components.StateStore, key);
        return entry is { ValueKind: JsonValueKind.Object } ? entry : null;
    }

    public async Task<IReadOnlyList<DocumentDiscovered>> DiscoveredAsync(string messageId) =>
        (await _environment.PublishedAsync(DaprNames.Topics.DocumentDiscovered))
            .Select(e => e.GetProperty("data").Deserialize<DocumentDiscovered>(Kmrl.ServiceDefaults.KmrlJson.Options)!)
            .Where(d => d.SourceId.EndsWith("/" + messageId, StringComparison.Ordinal))
            .ToList();

    private async Task<string> RunAsync(WebhookDelivery delivery)
    {
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < delivery.Times; i++)
        {
            statuses.Add(await DeliverAsync(delivery.Body, delivery.Signature));
        }
        var status = statuses[^1];
        if (status != HttpStatusCode.OK)
        {
            var stored = delivery.MessageId is { } id && await InboxEntryAsync(id) is not null;
            return $"webhook:{(int)status}" + (stored ? ":stored-anyway" : "");
        }
        if (delivery.MessageId is null || await InboxEntryAsync(delivery.MessageId) is null)
        {
            return "ignored";
        }
        var deadline = DateTime.UtcNow + OutcomeTimeout;
        while (DateTime.UtcNow < deadline)
        {
            if (await OutcomeAsync(delivery) is { } outcome)
            {
                var leaked = delivery.ForeignHost is { } foreign && Cloud.Downloads.Any(d => string.Equals(d.Host, foreign, StringComparison.OrdinalIgnoreCase));
                return leaked ? outcome + ":token-sent-to-" + delivery.ForeignHost : outcome;
            }
            await Task.Delay(250);
        }
        return "no-outcome-within-" + OutcomeTimeout.TotalSeconds.ToString(CultureInfo.InvariantCulture) + "s";
    }

    private async Task<string?> OutcomeAsync(WebhookDelivery delivery)
    {
        var messageId = delivery.MessageId!;
        var discovered = await DiscoveredAsync(messageId);
        if (discovered.Count > 0)
        {
            if (delivery.Times > 1)
            {
                // Let any second run finish before counting: a duplicate would show up as a second event.
                await Task.Delay(TimeSpan.FromSeconds(2));
                discovered = await DiscoveredAsync(messageId);
                return discovered.Count == 1 ? "discovered-once" : $"discovered-{discovered.Count}-times";
            }
            var name = discovered[0].FileName;
            return name.Contains(".R3.", StringComparison.Ordinal) || name == "track-inspection.pdf" ? "discovered" : "discovered:name=" + name;
        }
        // Every media item the host moves past without handing on is a rejection or a dead letter of the host's.
        return await SkippedAsync(messageId);
    }

    /// <summary>The host's record of a rejected or dead-lettered item (GET /connector/status, recentlySkipped).</summary>
    private async Task<string?> SkippedAsync(string messageId)
    {
        var status = await Http.GetFromJsonAsync<JsonObject>("/connector/status");
        var item = status!["sources"]!.AsArray()
            .SelectMany(s => s!["recentlySkipped"]!.AsArray())
            .FirstOrDefault(s => s!["sourceId"]!.GetValue<string>().EndsWith(messageId, StringComparison.Ordinal));
        if (item is null)
        {
            return null;
        }
        var kind = item["kind"]!.GetValue<string>();
        var reason = item["reason"]!.GetValue<string>();
        var why = reason.Contains("Extension", StringComparison.Ordinal) ? "extension-not-allowed"
            : reason.Contains("above the limit", StringComparison.Ordinal) ? "too-large"
            : reason.Contains("Content type", StringComparison.Ordinal) ? "content-type-not-allowed"
            : reason.Contains("MediaHashMismatch", StringComparison.Ordinal) || reason.Contains("SHA-256", StringComparison.Ordinal) ? "sha256-mismatch"
            : reason.Contains("MediaNotFound", StringComparison.Ordinal) ? "media-not-found"
            : reason.StartsWith("media older", StringComparison.Ordinal) ? "retention"
            : reason.Contains("not on an allowed https host", StringComparison.Ordinal) ? "foreign-url"
            : reason;
        return (kind == "rejected" ? "skipped:" : "dead-lettered:") + why;
    }

    public async Task DisposeAsync()
    {
        try
        {
            await AllCases;
        }
        catch (Exception)
        {
            // Reported by the case's own theory row.
        }
        Http?.Dispose();
        await _app.DisposeAsync();
        await _environment.DisposeAsync();
        await Cloud.DisposeAsync();
        await _redis.DisposeAsync();
    }
}
