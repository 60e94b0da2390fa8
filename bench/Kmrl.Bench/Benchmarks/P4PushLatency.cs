extern alias email;
extern alias whatsapp;

using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Kmrl.Bench.Connectors;
using Kmrl.Contracts;
using Kmrl.Dapr.Testing;
using Kmrl.Testing.Fakes;
using Kmrl.Testing.Servers;
using MailKit;
using MailKit.Net.Imap;
using MailKit.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Kmrl.Testing.Documents;
using MimeKit;

namespace Kmrl.Bench.Benchmarks;

/// <summary>
/// P4: arrival → DocumentDiscovered on pub/sub, sequentially, for the two push paths: a delivery into Dovecot seen by
/// the email connector's IMAP IDLE, and a signed WhatsApp webhook. Both run the production Program on the test
/// sidecar. Baselines in the same run: a bare MailKit client in IDLE (delivery → its EXISTS), and the same signed POST
/// to a bare Kestrel endpoint that only reads the body.
/// </summary>
public sealed class P4PushLatency : IBenchmark
{
    internal const string AppSecret = "bench-app-secret";
    private static readonly TimeSpan ArrivalTimeout = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Each webhook arrival takes two tokens of the connector's default rate limit (a listing and a download; 10 burst,
    /// 5 per second): back to back, the limiter and not the push path would set the latency after the first few.
    /// </summary>
    internal static readonly TimeSpan WebhookSpacing = TimeSpan.FromMilliseconds(500);

    public string Id => "P4";

    public string Title => "push latency";

    public async Task<IReadOnlyList<BenchResult>> RunAsync(BenchContext context, CancellationToken cancellationToken)
    {
        var arrivals = context.Scale(100, 20);
        var results = new List<BenchResult>();
        results.AddRange(await EmailAsync(context, arrivals, cancellationToken));
        results.AddRange(await WhatsAppAsync(context, arrivals, cancellationToken));
        return results;
    }

    private static async Task<IReadOnlyList<BenchResult>> EmailAsync(BenchContext context, int arrivals, CancellationToken cancellationToken)
    {
        var dovecot = new DovecotImapServer();
        await dovecot.InitializeAsync();
        try
        {
            // Two users, both INBOX: the bare client and the connector never see each other's mail, and delivering to
            // INBOX spares doveadm's folder check on every arrival.
            var baseline = await BareIdleAsync(dovecot, "alice", arrivals, cancellationToken);

            const string user = "bob";
            await using var environment = await DaprTestEnvironment.StartAsync(context.Redis, options =>
                options.Secrets["email-ops-mailbox"] = new Dictionary<string, object> { ["password"] = dovecot.Users[user] });
            var sidecar = await environment.StartSidecarAsync(DaprNames.AppIds.EmailConnector);
            await using var app = await ConnectorApps.StartEmailAsync(sidecar, ConnectorApps.LabMailbox(dovecot, user, "email-ops-mailbox"));

            // Warm-up, not measured: the first run stores the checkpoint and the IDLE watcher is connected after it.
            await dovecot.DeliverAsync(user, Message(0));
            await sidecar.FireCronAsync(DaprNames.Bindings.EmailSchedule);
            await WaitForCountAsync(environment, 1, cancellationToken);
            await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);

            var ours = new Latencies();
            for (var i = 1; i <= arrivals; i++)
            {
                var message = Message(i);
                var start = Stopwatch.GetTimestamp();
                await dovecot.DeliverAsync(user, message);
                await WaitForCountAsync(environment, i + 1, cancellationToken);
                ours.Add(Stopwatch.GetElapsedTime(start));
            }
            return Rows("IMAP delivery → DocumentDiscovered", ours, baseline, "bare MailKit IDLE: delivery → EXISTS",
                "both from the start of doveadm save (a process start, tens of ms) to the event; ours is seen by polling the pub/sub stream every 10 ms");
        }
        finally
        {
            await dovecot.DisposeAsync();
        }
    }

    private static async Task<Latencies> BareIdleAsync(DovecotImapServer dovecot, string user, int arrivals, CancellationToken cancellationToken)
    {
        using var client = new ImapClient();
        await client.ConnectAsync(dovecot.Host, dovecot.Port, SecureSocketOptions.None, cancellationToken);
        await client.AuthenticateAsync(user, dovecot.Users[user], cancellationToken);
        await client.Inbox.OpenAsync(FolderAccess.ReadOnly, cancellationToken);
        using var exists = new SemaphoreSlim(0);
        client.Inbox.CountChanged += (_, _) => exists.Release();
        using var done = new CancellationTokenSource();
        var idle = client.IdleAsync(done.Token, cancellationToken);
        var latencies = new Latencies();
        for (var i = 0; i <= arrivals; i++)
        {
            var message = Message(i);
            var start = Stopwatch.GetTimestamp();
            await dovecot.DeliverAsync(user, message);
            if (!await exists.WaitAsync(ArrivalTimeout, cancellationToken))
            {
                throw new TimeoutException($"The bare IDLE client saw no EXISTS for delivery {i}.");
            }
            if (i > 0) // the first one warms up
            {
                latencies.Add(Stopwatch.GetElapsedTime(start));
            }
        }
        await done.CancelAsync();
        await idle;
        await client.DisconnectAsync(quit: true, cancellationToken);
        return latencies;
    }

    private static async Task<IReadOnlyList<BenchResult>> WhatsAppAsync(BenchContext context, int arrivals, CancellationToken cancellationToken)
    {
        await using var cloud = await FakeCloudApi.StartAsync();
        var baseline = await BareWebhookAsync(arrivals, cancellationToken);

        await using var environment = await DaprTestEnvironment.StartAsync(context.Redis, options =>
            options.Secrets["whatsapp"] = new Dictionary<string, object>
            {
                ["access-token"] = FakeCloudApi.AccessToken,
                ["app-secret"] = AppSecret,
                ["verify-token"] = "bench-verify-token",
            });
        var sidecar = await environment.StartSidecarAsync(DaprNames.AppIds.WhatsAppConnector);
        await using var app = await ConnectorApps.StartWhatsAppAsync(sidecar, new Dictionary<string, string> { ["WhatsApp:GraphBaseUrl"] = cloud.BaseUrl.ToString() });
        using var http = new HttpClient { BaseAddress = app.ClientOptions.BaseAddress };

        var ours = new Latencies();
        for (var i = 0; i <= arrivals; i++)
        {
            var content = Encoding.UTF8.GetBytes($"%PDF-1.7 track inspection report {i}, Vyttila");
            cloud.Add($"media-{i}", content);
            var body = WebhookBody(i, content);
            var start = Stopwatch.GetTimestamp();
            using var response = await http.SendAsync(SignedPost(http.BaseAddress!, body), cancellationToken);
            response.EnsureSuccessStatusCode();
            await WaitForCountAsync(environment, i + 1, cancellationToken);
            if (i > 0) // the first one warms up
            {
                ours.Add(Stopwatch.GetElapsedTime(start));
            }
            await Task.Delay(WebhookSpacing, cancellationToken);
        }
        return Rows("WhatsApp webhook → DocumentDiscovered", ours, baseline, "same signed POST to a bare Kestrel endpoint that reads the body",
            "ours: POST /webhooks/whatsapp, media lookup and download from the fake Cloud API, claim check, publish; seen by polling the pub/sub stream every 10 ms; arrivals 0.5 s apart so the default rate limit (10 burst, 5/s, 2 per arrival) does not pace them");
    }

    private static async Task<Latencies> BareWebhookAsync(int arrivals, CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        await using var bare = builder.Build();
        bare.MapPost("/webhooks/whatsapp", async (HttpRequest request) =>
        {
            await request.Body.CopyToAsync(Stream.Null);
            return Results.Ok();
        });
        await bare.StartAsync(cancellationToken);
        var address = new Uri(bare.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.Single());
        using var http = new HttpClient { BaseAddress = address };
        var latencies = new Latencies();
        for (var i = 0; i <= arrivals; i++)
        {
            var body = WebhookBody(i, Encoding.UTF8.GetBytes($"%PDF-1.7 track inspection report {i}, Vyttila"));
            var start = Stopwatch.GetTimestamp();
            using var response = await http.SendAsync(SignedPost(address, body), cancellationToken);
            response.EnsureSuccessStatusCode();
            if (i > 0)
            {
                latencies.Add(Stopwatch.GetElapsedTime(start));
            }
        }
        await bare.StopAsync(cancellationToken);
        return latencies;
    }

    internal static string WebhookBody(int index, byte[] content) => WhatsAppPayloads.Body([WhatsAppPayloads.Change(
        [WhatsAppPayloads.Message($"wamid.P4-{index}", "919847000002", "document", mediaId: $"media-{index}", sha256: FakeCloudApi.HexSha256(content),
            fileName: $"track-inspection-{index}.pdf", caption: "Vyttila")],
        contacts: ("919847000002", "Rajesh P"))]);

    internal static HttpRequestMessage SignedPost(Uri baseAddress, string body)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, new Uri(baseAddress, "/webhooks/whatsapp"))
        {
            Content = new StringContent(body, Encoding.UTF8, "application/json"),
        };
        var signature = Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(AppSecret), Encoding.UTF8.GetBytes(body)));
        request.Headers.Add("X-Hub-Signature-256", "sha256=" + signature);
        return request;
    }

    /// <summary>Polls the document-discovered stream until it holds <paramref name="count"/> events.</summary>
    private static async Task WaitForCountAsync(DaprTestEnvironment environment, int count, CancellationToken cancellationToken)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(ArrivalTimeout.TotalSeconds * Stopwatch.Frequency);
        while ((await environment.PublishedAsync(DaprNames.Topics.DocumentDiscovered)).Count < count)
        {
            if (Stopwatch.GetTimestamp() > deadline)
            {
                throw new TimeoutException($"DocumentDiscovered number {count} did not arrive within {ArrivalTimeout.TotalSeconds} s.");
            }
            await Task.Delay(10, cancellationToken);
        }
    }

    private static List<BenchResult> Rows(string path, Latencies ours, Latencies baseline, string baselineName, string notes)
    {
        var oursP50 = ours.Percentile(50);
        var baselineP50 = baseline.Percentile(50);
        var ratio = oursP50.TotalMilliseconds / baselineP50.TotalMilliseconds;
        return
        [
            new BenchResult("P4", $"{path} p50 ({ours.Count} arrivals)", Latencies.Format(oursP50), Latencies.Format(baselineP50),
                ratio.ToString("F1", CultureInfo.InvariantCulture), "ours p50 < 1 s", oursP50 < TimeSpan.FromSeconds(1), $"baseline: {baselineName}; {notes}"),
            new BenchResult("P4", $"{path} p95 ({ours.Count} arrivals)", Latencies.Format(ours.Percentile(95)), Latencies.Format(baseline.Percentile(95)),
                (ours.Percentile(95).TotalMilliseconds / baseline.Percentile(95).TotalMilliseconds).ToString("F1", CultureInfo.InvariantCulture), "–", null),
        ];
    }

    private static byte[] Message(int index) => TestCorpus.EmlWithAttachment(
        "Signalling <signalling@kmrl.example>", "Bob <bob@kmrl.example>",
        $"Track circuit drawing {index}", "Please file the attached drawing.", $"TC-{index:D3}.pdf", RandomNumberGenerator.GetBytes(20_000));
}
