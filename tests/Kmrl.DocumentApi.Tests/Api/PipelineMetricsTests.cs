using System.Text.RegularExpressions;
using Kmrl.ClaimCheck;
using Kmrl.DocumentApi.Activities;
using Kmrl.DocumentApi.Extensions;
using Kmrl.DocumentApi.Pipeline;
using Kmrl.DocumentApi.Ports;
using Kmrl.DocumentApi.Processing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Kmrl.DocumentApi.Tests.Api;

/// <summary>
/// The pipeline's instruments as Prometheus scrapes them from the app's /metrics: stage durations (a histogram per
/// activity, in seconds), rejections by stage and reason, OCR pages by outcome, under the names the alert rules and
/// the dashboard in k8s/monitoring use.
/// </summary>
public sealed class PipelineMetricsTests(DocumentApiFactory factory) : IClassFixture<DocumentApiFactory>
{
    [Fact]
    public async Task A_rejection_and_an_ocr_extraction_appear_on_metrics_with_their_stage_reason_and_page_outcomes()
    {
        using var scrape = factory.CreateClient();
        // The meter provider listens once the host runs.
        Assert.Contains("# TYPE", await scrape.GetStringAsync("/metrics"));
        var before = Counter(await scrape.GetStringAsync("/metrics"), "kmrl_pipeline_ocr_pages_total", "kmrl_outcome=\"failed\"");
        var store = factory.Services.GetRequiredService<IDocumentContentStore>();
        var reason = "test-reason-" + Guid.NewGuid().ToString("N")[..8];

        var scan = await Intakes.StoreAsync(store, "scan"u8.ToArray(), "scan.tiff", "image/tiff");
        var extraction = new ExtractTextActivity(store, new ThreePageScan(), new CpuWorkLimiter(Options.Create(new PipelineOptions())), TimeProvider.System,
            Options.Create(new DocumentProcessingOptions()));
        var result = await extraction.RunAsync(new TestActivityContext(scan.DocumentId), new ExtractInput(scan, DocumentKind.Tiff));
        var rejected = await Intakes.StoreAsync(store, "x"u8.ToArray(), "x.bin", "application/octet-stream");
        await new RejectDocumentActivity(factory.Services.GetRequiredService<ICatalog>(), factory.Events, TimeProvider.System)
            .RunAsync(new TestActivityContext(rejected.DocumentId), new RejectInput(rejected, "validate", reason));
        // The exporter caches a scrape for 300 ms by default.
        await Task.Delay(TimeSpan.FromMilliseconds(400));
        var metrics = await scrape.GetStringAsync("/metrics");

        Assert.Equal([1, 2], result.OcrPages);
        Assert.Equal(1, Counter(metrics, "kmrl_pipeline_rejections_total", $"error_type=\"{reason}\"", "kmrl_stage=\"validate\""));
        Assert.True(Counter(metrics, "kmrl_pipeline_ocr_pages_total", "kmrl_outcome=\"failed\"") >= before + 1, metrics);
        Assert.True(Counter(metrics, "kmrl_pipeline_ocr_pages_total", "kmrl_outcome=\"read\"") >= 2, metrics);
        Assert.Contains("# TYPE kmrl_pipeline_stage_duration_seconds histogram", metrics);
        Assert.True(Counter(metrics, "kmrl_pipeline_stage_duration_seconds_count", "kmrl_stage=\"ExtractTextActivity\"") >= 1, metrics);
        Assert.True(Counter(metrics, "kmrl_pipeline_stage_duration_seconds_count", "kmrl_stage=\"RejectDocumentActivity\"") >= 1, metrics);
    }

    /// <summary>The value of the one sample of <paramref name="name"/> whose labels include all of <paramref name="labels"/> (0 when none).</summary>
    private static double Counter(string metrics, string name, params string[] labels)
    {
        var samples = metrics.Split('\n')
            .Where(line => line.StartsWith(name + "{", StringComparison.Ordinal) && labels.All(label => line.Contains(label, StringComparison.Ordinal)))
            .Select(line => Regex.Match(line, @"\}\s+(?<value>[0-9.eE+-]+)")).Where(m => m.Success)
            .Select(m => double.Parse(m.Groups["value"].Value, System.Globalization.CultureInfo.InvariantCulture)).ToList();
        return samples.Sum();
    }

    /// <summary>A three-page scan: two pages read, the third one failed in the OCR engine.</summary>
    private sealed class ThreePageScan : ITextExtraction
    {
        public Task<ExtractedText> ExtractAsync(string path, DocumentKind kind, CancellationToken cancellationToken) =>
            Task.FromResult(new ExtractedText(ExtractionOutcome.Extracted, "ocr", ["page one", "page two", ""], [1, 2],
                new Dictionary<string, string>(), FailedPages: [3]));
    }
}
