using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Kmrl.Bench.Connectors;
using Kmrl.Testing.Documents;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Kmrl.Bench.Benchmarks;

/// <summary>
/// P1: 256 KiB PDFs from 32 concurrent uploaders against POST /documents of the production document-api on the test
/// sidecar, against a bare Kestrel endpoint in this same process that only streams the request body to a file.
/// P1b: while ours is loaded, one reader asks GET /documents/{id} for the latest accepted uploads, against the same
/// reads on the idle app before the load.
/// </summary>
public sealed class P1UploadThroughput : IBenchmark
{
    private const int Clients = 32;
    private const int PayloadBytes = 256 * 1024;
    private const int WarmUpUploads = 64;

    public string Id => "P1";

    public string Title => "upload accept throughput";

    public async Task<IReadOnlyList<BenchResult>> RunAsync(BenchContext context, CancellationToken cancellationToken)
    {
        var duration = context.Scale(TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(5));
        var pdf = BenchPdf.Create(PayloadBytes, seed: 11);
        long serial = 0;
        HttpContent NextUpload() =>
            DocumentApiHost.UploadBody(new ByteArrayContent(pdf.WithSerial(Interlocked.Increment(ref serial))), "maintenance-report.pdf", TestCorpus.Pdf);

        // The baseline runs first: ours leaves its accepted workflows running in the background when it stops.
        LoadRun baseline;
        var sink = Path.Combine(context.Scratch.Path, "p1-baseline");
        Directory.CreateDirectory(sink);
        await using (var bare = await StartBareKestrelAsync(sink))
        {
            using var http = new HttpClient { BaseAddress = new Uri(bare.Urls.First()), Timeout = TimeSpan.FromMinutes(2) };
            await WarmUpAsync(http, NextUpload, cancellationToken);
            baseline = await RunLoadAsync(http, NextUpload, duration, cancellationToken);
        }
        Directory.Delete(sink, recursive: true);
        context.Log.WriteLine($"   baseline: {baseline.Accepted} accepted, {baseline.Refused} refused in {baseline.Elapsed.TotalSeconds:F1} s");

        LoadRun ours;
        CpuSplit cpuBefore, cpu;
        var idleReads = new Latencies();
        Latencies loadedReads;
        await using (var host = await DocumentApiHost.StartAsync(context))
        {
            using var http = host.CreateClient();
            await WarmUpAsync(http, NextUpload, cancellationToken);
            using var reader = host.CreateClient();
            var idleIds = new ConcurrentQueue<string>();
            using (var body = NextUpload())
            {
                idleIds.Enqueue(await AcceptedIdAsync(await http.PostAsync("/documents", body, cancellationToken)));
            }
            await ReadWhileAsync(reader, idleIds, () => idleReads.Count >= 200, cancellationToken, idleReads);
            var loadedIds = new ConcurrentQueue<string>(idleIds);
            var loaded = new Latencies();
            cpuBefore = CpuSplit.Now();
            var load = RunLoadAsync(http, NextUpload, duration, cancellationToken, loadedIds);
            var reads = ReadWhileAsync(reader, loadedIds, () => load.IsCompleted, cancellationToken, loaded);
            ours = await load;
            cpu = CpuSplit.Now() - cpuBefore;
            loadedReads = await reads;
            context.Log.WriteLine($"   ours: {ours.Accepted} accepted, {ours.Refused} refused in {ours.Elapsed.TotalSeconds:F1} s; {loadedReads.Count} reads during the load");
        }

        // The same load on the intake role alone (DocumentApi:Role=Intake: no subscription, no workflow worker), as the
        // intake Deployment runs it beside pipeline pods (k8s/base/document-pipeline.yaml). What is left between this and
        // the baseline is the hand-off itself; what is between this and ours is the pipeline's share of the 2 cores.
        LoadRun intakeOnly;
        await using (var host = await DocumentApiHost.StartAsync(context, new Dictionary<string, string> { ["DocumentApi:Role"] = "Intake" }))
        {
            using var http = host.CreateClient();
            await WarmUpAsync(http, NextUpload, cancellationToken);
            intakeOnly = await RunLoadAsync(http, NextUpload, duration, cancellationToken);
            context.Log.WriteLine($"   intake role alone: {intakeOnly.Accepted} accepted, {intakeOnly.Refused} refused in {intakeOnly.Elapsed.TotalSeconds:F1} s");
        }

        var ratio = ours.UploadsPerSecond / baseline.UploadsPerSecond;
        var intakeRatio = intakeOnly.UploadsPerSecond / baseline.UploadsPerSecond;
        var payload = string.Create(CultureInfo.InvariantCulture, $"{pdf.Length / 1024} KiB text PDF ({pdf.Length} bytes), a distinct serial on page 1 of every upload");
        return
        [
            new BenchResult(Id, "accepted uploads/s (MiB/s), 32 clients",
                Describe(ours), Describe(baseline), Ratio(ratio), "≥ 0.7", ratio >= 0.7,
                string.Create(CultureInfo.InvariantCulture,
                    $"{duration.TotalSeconds:F0} s each; {payload}; production document-api on the Dapr test sidecar (claim check into the blob binding, workflow scheduled per upload) vs a bare Kestrel endpoint in the same process streaming the body to a file. The workflow processes the accepted uploads in the background during the measurement and competes for the same 2 cores: that is the real system. During ours: {cpu}.")),
            new BenchResult(Id, "accepted uploads/s (MiB/s), 32 clients, intake role alone",
                Describe(intakeOnly), Describe(baseline), Ratio(intakeRatio), "informative", null,
                "DocumentApi:Role=Intake in this process with the sidecar double, no pipeline: the claim check (one blob binding call per 2.5 MiB chunk, base64 in JSON as the bindings need it, decoded and written by the double in this same process, as daprd would beside the app), the accepted record and the publish."),
            new BenchResult("P1b", "GET /documents/{id} p99 during the P1 load (1 reader)",
                Latencies.Format(loadedReads.Percentile(99)), Latencies.Format(idleReads.Percentile(99)),
                Ratio(loadedReads.Percentile(99) / idleReads.Percentile(99)), "< 200 ms", loadedReads.Percentile(99) < TimeSpan.FromMilliseconds(200),
                string.Create(CultureInfo.InvariantCulture,
                    $"{loadedReads.Count} reads of the latest accepted uploads while 32 clients upload and the pipeline works; baseline: {idleReads.Count} reads of an accepted upload on the idle app before the load. p50 {Latencies.Format(loadedReads.Percentile(50))} loaded, {Latencies.Format(idleReads.Percentile(50))} idle")),
            new BenchResult(Id, "non-2xx answers during the load",
                Count(ours.Refused), Count(baseline.Refused), "–", "0", ours.Refused == 0 && baseline.Refused == 0,
                "Transport errors count as non-2xx too."),
        ];
    }

    private static string Describe(LoadRun run) =>
        string.Create(CultureInfo.InvariantCulture, $"{run.UploadsPerSecond:F1}/s ({run.MebibytesPerSecond:F1} MiB/s)");

    private static string Ratio(double ratio) => ratio.ToString("F2", CultureInfo.InvariantCulture);

    private static string Count(long count) => count.ToString(CultureInfo.InvariantCulture);

    private static async Task WarmUpAsync(HttpClient http, Func<HttpContent> nextUpload, CancellationToken cancellationToken)
    {
        // JIT, connection pools and the key cache warm up outside the measurement.
        await Parallel.ForAsync(0, WarmUpUploads, new ParallelOptions { MaxDegreeOfParallelism = Clients, CancellationToken = cancellationToken }, async (_, token) =>
        {
            using var body = nextUpload();
            using var response = await http.PostAsync("/documents", body, token);
            response.EnsureSuccessStatusCode();
        });
    }

    private static async Task<string> AcceptedIdAsync(HttpResponseMessage response)
    {
        using (response)
        {
            response.EnsureSuccessStatusCode();
            var answer = await response.Content.ReadFromJsonAsync<JsonObject>();
            return answer!["documents"]![0]!["documentId"]!.GetValue<string>();
        }
    }

    /// <summary>GETs the newest accepted ids one after another until <paramref name="done"/>; every answer must be 200.</summary>
    private static async Task<Latencies> ReadWhileAsync(HttpClient http, ConcurrentQueue<string> ids, Func<bool> done, CancellationToken cancellationToken, Latencies latencies)
    {
        var clock = new Stopwatch();
        while (!done())
        {
            var id = ids.LastOrDefault();
            if (id is null)
            {
                await Task.Delay(10, cancellationToken);
                continue;
            }
            clock.Restart();
            using var response = await http.GetAsync($"/documents/{id}", cancellationToken);
            latencies.Add(clock.Elapsed);
            if (!response.IsSuccessStatusCode)
            {
                throw new InvalidOperationException($"GET /documents/{id} answered {(int)response.StatusCode} during the load.");
            }
        }
        return latencies;
    }

    private static async Task<LoadRun> RunLoadAsync(HttpClient http, Func<HttpContent> nextUpload, TimeSpan duration, CancellationToken cancellationToken,
        ConcurrentQueue<string>? acceptedIds = null)
    {
        long accepted = 0, refused = 0, bytes = 0;
        var clock = Stopwatch.StartNew();
        var clients = Enumerable.Range(0, Clients).Select(async _ =>
        {
            while (clock.Elapsed < duration)
            {
                using var body = nextUpload();
                var length = body.Headers.ContentLength ?? 0;
                try
                {
                    using var response = await http.PostAsync("/documents", body, cancellationToken);
                    if (response.IsSuccessStatusCode)
                    {
                        Interlocked.Increment(ref accepted);
                        Interlocked.Add(ref bytes, length);
                        if (acceptedIds is not null)
                        {
                            var answer = await response.Content.ReadFromJsonAsync<JsonObject>(cancellationToken);
                            acceptedIds.Enqueue(answer!["documents"]![0]!["documentId"]!.GetValue<string>());
                        }
                    }
                    else
                    {
                        Interlocked.Increment(ref refused);
                    }
                }
                catch (HttpRequestException)
                {
                    Interlocked.Increment(ref refused);
                }
                catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    Interlocked.Increment(ref refused); // the client's timeout
                }
            }
        }).ToList();
        await Task.WhenAll(clients);
        // Requests started before the deadline are counted, so the elapsed time runs until the last one answered.
        return new LoadRun(accepted, refused, bytes, clock.Elapsed);
    }

    private static async Task<WebApplication> StartBareKestrelAsync(string sink)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        app.MapPost("/documents", async (HttpRequest request, CancellationToken token) =>
        {
            var path = Path.Combine(sink, Guid.NewGuid().ToString("N"));
            await using (var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 81920, useAsync: true))
            {
                await request.Body.CopyToAsync(file, token);
            }
            return Results.Accepted();
        });
        await app.StartAsync();
        return app;
    }

    private sealed record LoadRun(long Accepted, long Refused, long Bytes, TimeSpan Elapsed)
    {
        public double UploadsPerSecond => Accepted / Elapsed.TotalSeconds;

        public double MebibytesPerSecond => Bytes / 1024.0 / 1024.0 / Elapsed.TotalSeconds;
    }
}
