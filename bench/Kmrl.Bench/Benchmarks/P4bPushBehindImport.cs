extern alias documentapi;

using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Kmrl.Bench.Connectors;
using Kmrl.ClaimCheck;
using Kmrl.Contracts;
using Kmrl.Dapr.Testing;
using Kmrl.Testing.Documents;
using Kmrl.Testing.Fakes;
using Kmrl.Testing.Servers;
using Microsoft.Extensions.DependencyInjection;
using DocumentIntake = documentapi::Kmrl.DocumentApi.Model.DocumentIntake;

namespace Kmrl.Bench.Benchmarks;

/// <summary>
/// P4b: a WhatsApp webhook and an e-mail seen by IMAP IDLE, arrival → processed record, while a connector's import
/// of 10,000 documents waits on the bulk lane. Production document-api, email and WhatsApp connectors on one test
/// sidecar environment; the baseline is the same arrivals on the same system with no import queued.
/// </summary>
public sealed class P4bPushBehindImport : IBenchmark
{
    private static readonly TimeSpan Target = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan ArrivalTimeout = TimeSpan.FromMinutes(2);
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(20);

    /// <summary>As in P4: two rate-limit tokens per webhook arrival, so arrivals are spaced to measure the path and not the limiter.</summary>
    private static readonly TimeSpan Spacing = P4PushLatency.WebhookSpacing;

    public string Id => "P4b";

    public string Title => "push arrivals behind a queued import";

    public async Task<IReadOnlyList<BenchResult>> RunAsync(BenchContext context, CancellationToken cancellationToken)
    {
        var importSize = context.Scale(10_000, 400);
        var arrivals = context.Scale(20, 5);
        var idle = await MeasureAsync(context, importSize: 0, arrivals, cancellationToken);
        context.Log.WriteLine($"   idle: WhatsApp p50 {Latencies.Format(idle.WhatsApp.Percentile(50))}, IMAP p50 {Latencies.Format(idle.Email.Percentile(50))}");
        var loaded = await MeasureAsync(context, importSize, arrivals, cancellationToken);
        context.Log.WriteLine($"   behind the import: WhatsApp p50 {Latencies.Format(loaded.WhatsApp.Percentile(50))}, IMAP p50 {Latencies.Format(loaded.Email.Percentile(50))}; {loaded.ImportLeft} of {importSize} still queued at the end");

        // Arrivals measured after the import had drained would not be behind it: the row is then not met, whatever the figure.
        var stillBehind = loaded.ImportLeft > 0;
        var notes = string.Create(CultureInfo.InvariantCulture,
            $"Import: {importSize} distinct 1-page text PDFs published on {DaprNames.Topics.DocumentDiscoveredBulk} with their claim checks, as a connector publishes a run beyond its first {20} documents, queued in {loaded.QueueSeconds:F0} s before the first arrival; {loaded.ImportLeft} of them were still not processed when the last arrival was (so every arrival was measured behind the import: {(stillBehind ? "yes" : "NO")}). Arrivals one at a time, {Spacing.TotalMilliseconds:F0} ms apart, from the webhook POST or the start of doveadm save to GET /documents/{{id}} answering processed (polled every {Poll.TotalMilliseconds:F0} ms). Baseline: the same arrivals on the same apps with nothing queued. Default pipeline settings (CPU concurrency, MaxBulkInFlight, extraction isolation).");
        return
        [
            Row("WhatsApp webhook → processed", loaded.WhatsApp, idle.WhatsApp, stillBehind, notes),
            Row("IMAP IDLE delivery → processed", loaded.Email, idle.Email, stillBehind, "Same import and method as the WhatsApp row."),
        ];
    }

    private static BenchResult Row(string path, Latencies loaded, Latencies idle, bool stillBehind, string notes)
    {
        var ours = loaded.Percentile(50);
        var baseline = idle.Percentile(50);
        return new BenchResult("P4b", $"{path} p50 ({loaded.Count} arrivals) behind the import",
            Latencies.Format(ours), Latencies.Format(baseline),
            (ours.TotalMilliseconds / baseline.TotalMilliseconds).ToString("F1", CultureInfo.InvariantCulture),
            "ours p50 < 5 s", stillBehind && ours < Target,
            string.Create(CultureInfo.InvariantCulture, $"p95 {Latencies.Format(loaded.Percentile(95))} behind the import, {Latencies.Format(idle.Percentile(95))} idle. ") + notes);
    }

    private static async Task<Measurement> MeasureAsync(BenchContext context, int importSize, int arrivals, CancellationToken cancellationToken)
    {
        var dovecot = new DovecotImapServer();
        await dovecot.InitializeAsync();
        await using var cloud = await FakeCloudApi.StartAsync();
        try
        {
            const string user = "bob";
            await using var host = await DocumentApiHost.StartAsync(context, configure: options =>
            {
                options.Secrets["email-ops-mailbox"] = new Dictionary<string, object> { ["password"] = dovecot.Users[user] };
                options.Secrets["whatsapp"] = new Dictionary<string, object>
                {
                    ["access-token"] = FakeCloudApi.AccessToken,
                    ["app-secret"] = P4PushLatency.AppSecret,
                    ["verify-token"] = "bench-verify-token",
                };
            });
            var environment = host.Environment;
            var emailSidecar = await environment.StartSidecarAsync(DaprNames.AppIds.EmailConnector);
            await using var email = await ConnectorApps.StartEmailAsync(emailSidecar, ConnectorApps.LabMailbox(dovecot, user, "email-ops-mailbox"));
            var whatsAppSidecar = await environment.StartSidecarAsync(DaprNames.AppIds.WhatsAppConnector);
            await using var whatsApp = await ConnectorApps.StartWhatsAppAsync(whatsAppSidecar, new Dictionary<string, string> { ["WhatsApp:GraphBaseUrl"] = cloud.BaseUrl.ToString() });
            using var webhook = new HttpClient { BaseAddress = whatsApp.ClientOptions.BaseAddress };
            using var reader = host.CreateClient();

            // Warm-up, not measured: the mailbox's first run stores its checkpoint and connects the IDLE watcher.
            await dovecot.DeliverAsync(user, Message(0));
            await emailSidecar.FireCronAsync(DaprNames.Bindings.EmailSchedule);
            await WaitForProcessedAsync(reader, await NextInteractiveIdAsync(environment, 1, cancellationToken), cancellationToken);
            var seen = 1;
            async Task<TimeSpan> WhatsAppArrivalAsync(int index)
            {
                var content = TestCorpus.TextPdf(string.Create(CultureInfo.InvariantCulture, $"Track inspection report {index}, Vyttila, {importSize}: rail wear within limits."));
                cloud.Add($"media-{index}", content);
                var body = P4PushLatency.WebhookBody(index, content);
                var start = Stopwatch.GetTimestamp();
                using (var response = await webhook.SendAsync(P4PushLatency.SignedPost(webhook.BaseAddress!, body), cancellationToken))
                {
                    response.EnsureSuccessStatusCode();
                }
                await WaitForProcessedAsync(reader, await NextInteractiveIdAsync(environment, ++seen, cancellationToken), cancellationToken);
                return Stopwatch.GetElapsedTime(start);
            }
            await WhatsAppArrivalAsync(0);

            var queueClock = Stopwatch.StartNew();
            var importIds = await QueueImportAsync(host, importSize, cancellationToken);
            var queueSeconds = queueClock.Elapsed.TotalSeconds;

            var whatsAppLatencies = new Latencies();
            var emailLatencies = new Latencies();
            for (var i = 1; i <= arrivals; i++)
            {
                whatsAppLatencies.Add(await WhatsAppArrivalAsync(i));
                await Task.Delay(Spacing, cancellationToken);
                var start = Stopwatch.GetTimestamp();
                await dovecot.DeliverAsync(user, Message(i));
                await WaitForProcessedAsync(reader, await NextInteractiveIdAsync(environment, ++seen, cancellationToken), cancellationToken);
                emailLatencies.Add(Stopwatch.GetElapsedTime(start));
                await Task.Delay(Spacing, cancellationToken);
            }
            var processed = await ProcessedIdsAsync(environment);
            return new Measurement(whatsAppLatencies, emailLatencies, importIds.Count(id => !processed.Contains(id)), queueSeconds);
        }
        finally
        {
            await dovecot.DisposeAsync();
        }
    }

    /// <summary>What a connector publishes for the part of a run beyond its interactive share: claim check, then the event.</summary>
    private static async Task<IReadOnlyList<string>> QueueImportAsync(DocumentApiHost host, int count, CancellationToken cancellationToken)
    {
        var store = host.Services.GetRequiredService<IDocumentContentStore>();
        using var dapr = host.Sidecar.CreateClient();
        var ids = new List<string>(count);
        for (var i = 0; i < count; i++)
        {
            var pdf = TestCorpus.TextPdf(string.Create(CultureInfo.InvariantCulture, $"Export {i}: bogie inspection record for trainset TS-{i % 25:D2}, depot Muttom."));
            var blob = await store.WriteAsync(string.Create(CultureInfo.InvariantCulture, $"import-{i}"), new MemoryStream(pdf), cancellationToken);
            var sourceId = string.Create(CultureInfo.InvariantCulture, $"exports/WO-{i:D5}.pdf");
            var key = IdempotencyKey.For(DocumentSources.MaximoExport, sourceId, blob.Sha256);
            ids.Add(DocumentIntake.DocumentIdFor(key));
            await dapr.PublishEventAsync(DaprNames.Components.PubSub, DaprNames.Topics.DocumentDiscoveredBulk,
                new DocumentDiscovered(key, DocumentSources.MaximoExport, sourceId, string.Create(CultureInfo.InvariantCulture, $"WO-{i:D5}.pdf"),
                    "application/pdf", blob.Size, blob.Sha256, blob, new Dictionary<string, string>(), DateTimeOffset.UtcNow), cancellationToken);
        }
        return ids;
    }

    /// <summary>The document id of the <paramref name="count"/>th event on the interactive topic (the import is all on the bulk one).</summary>
    private static async Task<string> NextInteractiveIdAsync(DaprTestEnvironment environment, int count, CancellationToken cancellationToken)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(ArrivalTimeout.TotalSeconds * Stopwatch.Frequency);
        while (true)
        {
            var events = await environment.PublishedAsync(DaprNames.Topics.DocumentDiscovered);
            if (events.Count >= count)
            {
                return DocumentIntake.DocumentIdFor(events[count - 1].GetProperty("data").GetProperty("idempotencyKey").GetString()!);
            }
            if (Stopwatch.GetTimestamp() > deadline)
            {
                throw new TimeoutException($"DocumentDiscovered number {count} did not arrive within {ArrivalTimeout.TotalSeconds} s.");
            }
            await Task.Delay(Poll, cancellationToken);
        }
    }

    private static async Task WaitForProcessedAsync(HttpClient reader, string documentId, CancellationToken cancellationToken)
    {
        var status = await DocumentApiHost.WaitForFinalStatusAsync(reader, documentId, Poll, ArrivalTimeout, cancellationToken);
        if (!string.Equals(status, "processed", StringComparison.OrdinalIgnoreCase))
        {
            throw new InvalidOperationException($"Arrival {documentId} ended {status}, not processed: the latency would not be a processing time.");
        }
    }

    private static async Task<HashSet<string>> ProcessedIdsAsync(DaprTestEnvironment environment)
    {
        var events = await environment.PublishedAsync(DaprNames.Topics.DocumentProcessed);
        return events.Select(e => e.GetProperty("data").GetProperty("documentId").GetString()!).ToHashSet(StringComparer.Ordinal);
    }

    /// <summary>A mail with a real text PDF attached (P4's random bytes would be rejected as a type mismatch, not processed).</summary>
    private static byte[] Message(int index) => TestCorpus.EmlWithAttachment(
        "Signalling <signalling@kmrl.example>", "Bob <bob@kmrl.example>",
        string.Create(CultureInfo.InvariantCulture, $"Track circuit drawing {index}"), "Please file the attached drawing.",
        string.Create(CultureInfo.InvariantCulture, $"TC-{index:D3}.pdf"),
        TestCorpus.TextPdf(string.Create(CultureInfo.InvariantCulture, $"Track circuit TC-{index:D3}: relay room drawing, Kaloor, revision {index}.")));

    private sealed record Measurement(Latencies WhatsApp, Latencies Email, int ImportLeft, double QueueSeconds);
}
