using System.Diagnostics.Metrics;
using System.Net;
using System.Text;
using Kmrl.Connectors.Sync;
using Kmrl.Connectors.WhatsApp.Tests.Fakes;
using Kmrl.Connectors.WhatsApp.Webhooks;
using Microsoft.Extensions.DependencyInjection;

namespace Kmrl.Connectors.WhatsApp.Tests;

public sealed class WebhookEndpointTests : IAsyncLifetime
{
    private const string Route = "/webhooks/whatsapp";
    private const string Sender = "919847000001";
    private FakeCloudApi _cloud = null!;
    private WhatsAppAppFactory _factory = null!;

    public async Task InitializeAsync()
    {
        _cloud = await FakeCloudApi.StartAsync();
        _factory = new WhatsAppAppFactory(_cloud.BaseUrl);
    }

    public async Task DisposeAsync()
    {
        await _factory.DisposeAsync();
        await _cloud.DisposeAsync();
    }

    [Fact]
    public async Task Handshake_with_the_right_token_echoes_the_challenge_as_plain_text()
    {
        var client = _factory.CreateClient();
        var response = await client.GetAsync($"{Route}?hub.mode=subscribe&hub.verify_token={WhatsAppSecrets.VerifyToken}&hub.challenge=1158201444");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("1158201444", await response.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData("subscribe", "not-the-token")]
    [InlineData("subscribe", "")]
    [InlineData("unsubscribe", WhatsAppSecrets.VerifyToken)]
    public async Task Handshake_with_a_wrong_token_or_mode_is_forbidden(string mode, string token)
    {
        var client = _factory.CreateClient();
        var response = await client.GetAsync($"{Route}?hub.mode={mode}&hub.verify_token={token}&hub.challenge=1158201444");

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.DoesNotContain("1158201444", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_signed_delivery_is_stored_in_the_inbox_and_requests_a_sync()
    {
        var body = WhatsAppPayloads.Body([WhatsAppPayloads.Change([WhatsAppPayloads.Message("wamid.A1", Sender, "document", fileName: "invoice.pdf", caption: "Invoice")],
            contacts: (Sender, "Anitha K"))]);

        var response = await PostAsync(body, Sign(body, WhatsAppSecrets.AppSecret));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var (message, completed) = Assert.Single(_factory.Inbox.All);
        Assert.False(completed);
        Assert.Equal("wamid.A1", message.MessageId);
        Assert.Equal("Anitha K", message.ProfileName);
        Assert.Equal(WhatsAppPayloads.PhoneNumberId, message.PhoneNumberId);
        Assert.Equal("invoice.pdf", message.FileName);
        Assert.Equal(["whatsapp-inbound"], _factory.SyncRequests.Requests);
    }

    public static TheoryData<string, Func<string, string?>, Func<string, string>> BadSignatures => new()
    {
        { "wrong secret", body => Sign(body, "some-other-secret"), body => body },
        { "tampered body", body => Sign(body, WhatsAppSecrets.AppSecret), body => body.Replace("invoice.pdf", "invoicf.pdf") },
        { "missing header", _ => null, body => body },
        { "wrong prefix", body => Sign(body, WhatsAppSecrets.AppSecret)!.Replace("sha256=", "sha1="), body => body },
        { "no prefix", body => Sign(body, WhatsAppSecrets.AppSecret)!["sha256=".Length..], body => body },
    };

    [Theory]
    [MemberData(nameof(BadSignatures))]
    public async Task A_delivery_without_a_valid_signature_is_unauthorized_and_stores_nothing(
        string why, Func<string, string?> signature, Func<string, string> sentBody)
    {
        var body = WhatsAppPayloads.Body([WhatsAppPayloads.Change([WhatsAppPayloads.Message("wamid.B1", Sender, "document", fileName: "invoice.pdf")])]);

        var response = await PostAsync(sentBody(body), signature(body));

        Assert.True(response.StatusCode == HttpStatusCode.Unauthorized, why);
        Assert.Empty(_factory.Inbox.All);
        Assert.Empty(_factory.SyncRequests.Requests);
    }

    [Fact]
    public async Task The_same_webhook_delivered_three_times_gives_one_inbox_item_and_one_document()
    {
        var content = Encoding.UTF8.GetBytes("%PDF-1.7 work order 4711");
        _cloud.Add("media-dup", content);
        var body = WhatsAppPayloads.Body([WhatsAppPayloads.Change(
            [WhatsAppPayloads.Message("wamid.DUP", Sender, "document", mediaId: "media-dup", sha256: FakeCloudApi.HexSha256(content), fileName: "wo-4711.pdf")],
            contacts: (Sender, "Anitha K"))]);

        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await PostAsync(body, Sign(body, WhatsAppSecrets.AppSecret))).StatusCode);
        }
        var source = _factory.Services.GetServices<IDocumentSource>().Single();
        var runner = _factory.Services.GetRequiredService<SyncRunner>();
        var first = await runner.RunAsync(source, CancellationToken.None);
        // A fourth delivery after the download is done changes nothing either.
        Assert.Equal(HttpStatusCode.OK, (await PostAsync(body, Sign(body, WhatsAppSecrets.AppSecret))).StatusCode);
        var second = await runner.RunAsync(source, CancellationToken.None);

        Assert.Single(_factory.Inbox.All);
        Assert.Equal(1, first.Counts.Discovered);
        var discovered = Assert.Single(_factory.Publisher.Discovered);
        Assert.EndsWith("/wamid.DUP", discovered.SourceId);
        Assert.Equal(FakeCloudApi.HexSha256(content), discovered.Sha256);
        Assert.Equal(0, second.Counts.Discovered);
        Assert.Single(_factory.SyncRequests.Requests);
    }

    [Fact]
    public async Task A_batch_with_several_entries_and_messages_stores_each_media_message_and_counts_the_rest()
    {
        using var counts = new CounterCapture(_factory.Services.GetRequiredService<IMeterFactory>(), WhatsAppMetrics.MeterName, "kmrl.whatsapp.webhook.items");
        var body = WhatsAppPayloads.Body(
            [
                WhatsAppPayloads.Change(
                    [
                        WhatsAppPayloads.Message("wamid.E1", Sender, "document", fileName: "a.pdf"),
                        WhatsAppPayloads.Message("wamid.E2", Sender, "image", mimeType: "image/jpeg", caption: "Track photo"),
                        WhatsAppPayloads.Message("wamid.E3", Sender, "text"),
                    ],
                    [WhatsAppPayloads.Status("wamid.OUT1")],
                    (Sender, "Anitha K")),
                WhatsAppPayloads.Change(statuses: [WhatsAppPayloads.Status("wamid.OUT2", "read")]),
            ],
            [
                WhatsAppPayloads.Change(
                    [
                        WhatsAppPayloads.Message("wamid.E4", "919847000002", "document", fileName: "b.docx"),
                        WhatsAppPayloads.Message("wamid.E5", "919847000002", "video", mimeType: "video/mp4"),
                    ],
                    contacts: ("919847000002", "Rahul M")),
            ]);

        var response = await PostAsync(body, Sign(body, WhatsAppSecrets.AppSecret));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(["wamid.E1", "wamid.E2", "wamid.E4"], _factory.Inbox.All.Select(e => e.Message.MessageId).Order());
        Assert.Equal("Rahul M", _factory.Inbox.All.Single(e => e.Message.MessageId == "wamid.E4").Message.ProfileName);
        Assert.Equal(3, counts.Sum("outcome", "accepted"));
        Assert.Equal(2, counts.Sum("outcome", "ignored-status"));
        // Text, and video because only document and image are configured by default.
        Assert.Equal(2, counts.Sum("outcome", "ignored-type"));
    }

    [Fact]
    public async Task Video_is_stored_when_configured_and_senders_off_the_allow_list_are_ignored()
    {
        await using var factory = new WhatsAppAppFactory(_cloud.BaseUrl, builder =>
        {
            builder.UseSetting("WhatsApp:AcceptedTypes:0", "document");
            builder.UseSetting("WhatsApp:AcceptedTypes:1", "video");
            builder.UseSetting("WhatsApp:AllowedSenders:0", Sender);
        });
        var client = factory.CreateClient();
        var body = WhatsAppPayloads.Body([WhatsAppPayloads.Change(
        [
            WhatsAppPayloads.Message("wamid.V1", Sender, "video", mimeType: "video/mp4"),
            WhatsAppPayloads.Message("wamid.V2", "919000000009", "document", fileName: "spam.pdf"),
            WhatsAppPayloads.Message("wamid.V3", Sender, "image", mimeType: "image/jpeg"),
        ])]);

        using var content = new StringContent(body, Encoding.UTF8, "application/json");
        content.Headers.Add(WebhookSignature.HeaderName, Sign(body, WhatsAppSecrets.AppSecret));
        var response = await client.PostAsync(Route, content);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(["wamid.V1"], factory.Inbox.All.Select(e => e.Message.MessageId));
    }

    [Fact]
    public async Task A_signed_body_that_is_not_json_is_a_bad_request()
    {
        const string body = "not json at all";
        var response = await PostAsync(body, Sign(body, WhatsAppSecrets.AppSecret));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task An_oversized_body_is_refused_before_anything_else()
    {
        var body = new string('x', 1024 * 1024 + 1);
        var response = await PostAsync(body, Sign(body, WhatsAppSecrets.AppSecret));

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
    }

    private async Task<HttpResponseMessage> PostAsync(string body, string? signature)
    {
        var client = _factory.CreateClient();
        using var content = new StringContent(body, Encoding.UTF8, "application/json");
        if (signature is not null)
        {
            content.Headers.Add(WebhookSignature.HeaderName, signature);
        }
        return await client.PostAsync(Route, content);
    }

    private static string? Sign(string body, string secret) =>
        WebhookSignature.Compute(Encoding.UTF8.GetBytes(body), Encoding.UTF8.GetBytes(secret));

    /// <summary>Collects one counter's measurements with their tags.</summary>
    private sealed class CounterCapture : IDisposable
    {
        private readonly MeterListener _listener = new();
        private readonly List<(long Value, Dictionary<string, object?> Tags)> _measurements = [];

        public CounterCapture(IMeterFactory scope, string meterName, string instrumentName)
        {
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                // Only this app instance's meter: other test classes run their own apps in parallel.
                if (instrument.Meter.Name == meterName && instrument.Name == instrumentName && ReferenceEquals(instrument.Meter.Scope, scope))
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            };
            _listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
            {
                var copy = new Dictionary<string, object?>();
                foreach (var tag in tags)
                {
                    copy[tag.Key] = tag.Value;
                }
                lock (_measurements)
                {
                    _measurements.Add((value, copy));
                }
            });
            _listener.Start();
        }

        public long Sum(string tag, string value)
        {
            lock (_measurements)
            {
                return _measurements.Where(m => Equals(m.Tags.GetValueOrDefault(tag), value)).Sum(m => m.Value);
            }
        }

        public void Dispose() => _listener.Dispose();
    }
}
