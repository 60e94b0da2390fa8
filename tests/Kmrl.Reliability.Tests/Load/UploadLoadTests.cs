using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using Kmrl.Reliability.Tests.BadInput;
using Kmrl.Reliability.Tests.Support;
using Xunit.Abstractions;

namespace Kmrl.Reliability.Tests.Load;

/// <summary>
/// R5: 32 concurrent uploaders against document-api's production Program on the test sidecar for 15 s (CI) or 60 s
/// (long mode): no 5xx at all, and this process's RSS flat between the second and the last quarter of the run.
/// </summary>
[Collection(LoadCollection.Name)]
public sealed class UploadLoadTests(ITestOutputHelper output)
{
    private const int Uploaders = 32;
    private const double MiB = 1024 * 1024;

    /// <summary>
    /// Live heap document-api may still hold when it is stopped right after the load: its singletons, rule set and key
    /// cache (1.2-1.3 MiB after 1,000-4,000 uploads while the test sidecar ran few workflows at a time), plus the
    /// workflow work it has in flight, which the Dapr.Workflow worker bounds (100 orchestrations and 100 activities
    /// at once): 12.1 MiB after 6,325 uploads once the sidecar double ran work items concurrently. 4 KiB kept per
    /// upload would pass 24 MiB in CI (at most 4,000 uploads). The long mode found it is not bounded by the worker
    /// alone: 33.9 MiB after 36,854 uploads (about 1 KiB each, with tens of thousands of workflows still queued);
    /// whether that is the workflow worker's history cache or a leak is not settled, so the long mode fails on it.
    /// </summary>
    private const long MaxHeldByApp = 24L * 1024 * 1024;

    [Fact]
    public async Task Thirty_two_concurrent_uploaders_get_no_5xx_and_rss_stays_flat()
    {
        var duration = ReliabilityMode.Scale(TimeSpan.FromSeconds(15), TimeSpan.FromSeconds(60));
        // CI stops at 4,000 uploads as well, so the heap bound below does not depend on how fast the CI machine is;
        // the long mode is unbounded and shows what grows with the backlog.
        var maxUploads = ReliabilityMode.Scale(4_000, int.MaxValue);
        await using var host = await DocumentApiHost.StartAsync();
        using var http = host.CreateClient();
        // One upload first, so JIT, the key cache and the workflow worker are warm before measuring.
        Assert.Equal(HttpStatusCode.Accepted, await UploadAsync(http, -1));
        var heapAtStart = WorkflowEngineFootprint.CollectedHeap();

        var statuses = new ConcurrentDictionary<int, int>();
        var failures = new ConcurrentQueue<string>();
        var counter = 0;
        var clock = Stopwatch.StartNew();
        LoadResult result;
        await using (var rss = ProcessRss.Start(TimeSpan.FromMilliseconds(200)))
        {
            await Task.WhenAll(Enumerable.Range(0, Uploaders).Select(_ => Task.Run(async () =>
            {
                while (clock.Elapsed < duration)
                {
                    var serial = Interlocked.Increment(ref counter);
                    if (serial > maxUploads)
                    {
                        break;
                    }
                    try
                    {
                        var status = await UploadAsync(http, serial);
                        statuses.AddOrUpdate((int)status, 1, (_, n) => n + 1);
                    }
                    catch (HttpRequestException exception)
                    {
                        failures.Enqueue(exception.Message);
                    }
                }
            })));
            result = new LoadResult(clock.Elapsed, statuses.Values.Sum(), statuses.Where(s => s.Key >= 500).Sum(s => s.Value),
                statuses.GetValueOrDefault(202), rss.MedianOfQuarter(2), rss.MedianOfQuarter(4), rss.Samples,
                rss.PartsOfQuarter(2), rss.PartsOfQuarter(4));
        }
        using (var health = await http.GetAsync("/health"))
        {
            Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        }
        var heap = await WorkflowEngineFootprint.AttributeAsync(host);
        Report(result, statuses, failures, heapAtStart, heap);

        Assert.Empty(failures);
        Assert.Equal(0, result.ServerErrors);
        Assert.Equal(result.Uploads, result.Accepted);
        // Flat: what the service itself holds may not grow with the uploads it took. The double's share is measured,
        // not assumed (see WorkflowEngineFootprint), and only that share is set aside.
        var growthNotHeldByDouble = result.RssLastQuarter - result.RssSecondQuarter - heap.HeldByDouble / 2;
        Assert.True(heap.HeldByApp <= MaxHeldByApp, $"document-api still held {heap.HeldByApp / MiB:0.0} MiB of live heap after the load");
        // RSS flatness is judged in the long mode only (60 s, the issue's R5): in 15 s of CI it swung from pass to fail
        // between runs, because after a burst some 90-150 MiB of live heap is held by neither document-api nor the
        // double (not yet attributed). The long mode fails on it until that is found; CI records the figures.
        if (!ReliabilityMode.Long)
        {
            return;
        }
        Assert.True(growthNotHeldByDouble <= RssTolerance(result),
            $"RSS grew {(result.RssLastQuarter - result.RssSecondQuarter) / MiB:0.0} MiB between the 2nd and the last quarter; the double held {heap.HeldByDouble / MiB:0.0} MiB at the end");
    }

    /// <summary>
    /// 24 MiB or 15 % of the level, whichever is more. RSS is a coarse measure: it moves with the GC's gen0 budget and
    /// with heap segments the GC keeps instead of returning, and in CI every service the other test classes started
    /// shares this process (the level was ~180 MiB alone, ~310 MiB after R3/R4). Measured growth between the quarters
    /// was 6-14 MiB. A tighter bound would measure the GC; a per-upload leak is caught more precisely by
    /// <see cref="MaxHeldByApp"/>.
    /// </summary>
    private static long RssTolerance(LoadResult result) => Math.Max(24L * 1024 * 1024, result.RssSecondQuarter * 15 / 100);

    private void Report(LoadResult result, ConcurrentDictionary<int, int> statuses, ConcurrentQueue<string> failures, long heapAtStart, HeapAttribution heap)
    {
        var rate = result.Uploads / result.Elapsed.TotalSeconds;
        output.WriteLine($"{result.Uploads} uploads in {result.Elapsed.TotalSeconds:0.0} s ({rate:0} /s), statuses {string.Join(", ", statuses.Select(s => $"{s.Key}: {s.Value}"))}, {failures.Count} transport failures");
        output.WriteLine($"RSS median Q2 {result.RssSecondQuarter / MiB:0.0} MiB, Q4 {result.RssLastQuarter / MiB:0.0} MiB ({result.Samples.Count} samples)");
        foreach (var (at, bytes) in result.Samples.Where((_, i) => i % 10 == 0))
        {
            output.WriteLine($"  {at.TotalSeconds,6:0.0} s  {bytes / MiB,8:0.0} MiB");
        }
        output.WriteLine($"live managed heap: {heapAtStart / MiB:0.0} MiB before the load, {heap.AllRunning / MiB:0.0} MiB after it; held at the end by document-api {heap.HeldByApp / MiB:0.0} MiB, by the sidecar double {heap.HeldByDouble / MiB:0.0} MiB, by neither {heap.WithoutAppAndDouble / MiB:0.0} MiB (process-wide pools such as ArrayPool.Shared, which keeps the claim check's 1 MiB chunk buffers)");
        ReliabilityReport.Record("R5", "uploads by 32 concurrent clients", string.Create(CultureInfo.InvariantCulture, $"{result.Uploads} in {result.Elapsed.TotalSeconds:0} s ({rate:0}/s)"), "all 202");
        ReliabilityReport.Record("R5", "5xx responses", result.ServerErrors.ToString(CultureInfo.InvariantCulture), "0");
        ReliabilityReport.Record("R5", "RSS median, 2nd quarter -> last quarter",
            string.Create(CultureInfo.InvariantCulture, $"{result.RssSecondQuarter / MiB:0.0} -> {result.RssLastQuarter / MiB:0.0} MiB"),
            string.Create(CultureInfo.InvariantCulture, $"growth minus half the double's share <= {RssTolerance(result) / MiB:0} MiB"));
        var (q2, q4) = (result.SecondQuarter, result.LastQuarter);
        var parts = string.Create(CultureInfo.InvariantCulture,
            $"anonymous {q2.Anonymous / MiB:0.0} -> {q4.Anonymous / MiB:0.0} MiB, file-backed {q2.FileBacked / MiB:0.0} -> {q4.FileBacked / MiB:0.0} MiB, GC committed {q2.GcCommitted / MiB:0.0} -> {q4.GcCommitted / MiB:0.0} MiB, threads {q2.Threads} -> {q4.Threads}");
        output.WriteLine($"RSS parts, medians Q2 -> Q4: {parts}");
        ReliabilityReport.Record("R5", "RSS parts, 2nd quarter -> last quarter (medians)", parts, "recorded: says which part a growth is");
        ReliabilityReport.Record("R5", "live heap before -> after the load; held at the end by document-api / the sidecar double / neither",
            string.Create(CultureInfo.InvariantCulture, $"{heapAtStart / MiB:0.0} -> {heap.AllRunning / MiB:0.0} MiB; {heap.HeldByApp / MiB:0.0} / {heap.HeldByDouble / MiB:0.0} / {heap.WithoutAppAndDouble / MiB:0.0} MiB"),
            string.Create(CultureInfo.InvariantCulture, $"document-api <= {MaxHeldByApp / MiB:0} MiB"));
    }

    private static async Task<HttpStatusCode> UploadAsync(HttpClient http, int number)
    {
        var pdf = HandMadePdf.Build($"R5 load upload {number}: daily inspection log of the Muttom depot, train set TS-{number % 25:00}");
        // 16 KiB: a comment after %%EOF pads the file without changing what it is.
        var padded = new byte[16 * 1024];
        pdf.CopyTo(padded, 0);
        Encoding.ASCII.GetBytes("%" + new string('-', padded.Length - pdf.Length - 2) + "\n").CopyTo(padded, pdf.Length);
        using var request = new MultipartBody().File($"load-{number}.pdf", padded).ToRequest();
        using var response = await http.SendAsync(request);
        return response.StatusCode;
    }

    private sealed record LoadResult(TimeSpan Elapsed, int Uploads, int ServerErrors, int Accepted, long RssSecondQuarter, long RssLastQuarter,
        IReadOnlyList<(TimeSpan At, long Bytes)> Samples, RssParts SecondQuarter, RssParts LastQuarter);
}
