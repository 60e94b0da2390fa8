using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Kmrl.DocumentApi.Pipeline;

/// <summary>
/// The pipeline's instruments on the meter <see cref="MeterName"/>, named and measured by the OpenTelemetry
/// conventions (dotted names, UCUM units, durations in seconds as histograms, the unit never in the name); the
/// Prometheus endpoint serves them as <c>kmrl_pipeline_stage_duration_seconds</c>, <c>kmrl_pipeline_rejections_total</c>
/// and <c>kmrl_pipeline_ocr_pages_total</c>. Static, as the FTP client's: the workflow runtime builds the activities,
/// and so do the tests, and a static meter leaves their constructors alone.
/// </summary>
public static class PipelineMetrics
{
    public const string MeterName = "Kmrl.DocumentApi.Pipeline";

    /// <summary>The activity a duration is of (its class name, as the workflow calls it).</summary>
    public const string StageTag = "kmrl.stage";

    /// <summary>Why a document was rejected (a rejection reason): the semantic conventions' attribute for an error class.</summary>
    public const string ReasonTag = "error.type";

    /// <summary><see cref="OcrRead"/> or <see cref="OcrFailed"/>.</summary>
    public const string OutcomeTag = "kmrl.outcome";

    public const string OcrRead = "read";
    public const string OcrFailed = "failed";

    private static readonly Meter Meter = new(MeterName);

    private static readonly Histogram<double> StageDuration = Meter.CreateHistogram<double>("kmrl.pipeline.stage.duration", "s",
        "Wall time of one run of a pipeline activity (the extraction's includes its wait for a CPU slot).",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300] });

    private static readonly Counter<long> Rejections = Meter.CreateCounter<long>("kmrl.pipeline.rejections", "{document}",
        "Documents rejected, by stage and reason.");

    private static readonly Counter<long> OcrPages = Meter.CreateCounter<long>("kmrl.pipeline.ocr.pages", "{page}",
        "Pages given to OCR, by outcome: read, or failed (the engine failed on the page, or it was past the OCR page cap).");

    /// <summary>Times one activity run until disposed, also when the run throws (a failed attempt took its time too).</summary>
    public static StageTimer Time(string stage) => new(stage, Stopwatch.GetTimestamp());

    public static void Rejected(string stage, string reason) =>
        Rejections.Add(1, new KeyValuePair<string, object?>(StageTag, stage), new KeyValuePair<string, object?>(ReasonTag, reason));

    public static void OcrPagesDone(int read, int failed)
    {
        if (read > 0) OcrPages.Add(read, new KeyValuePair<string, object?>(OutcomeTag, OcrRead));
        if (failed > 0) OcrPages.Add(failed, new KeyValuePair<string, object?>(OutcomeTag, OcrFailed));
    }

    public readonly struct StageTimer(string stage, long started) : IDisposable
    {
        public void Dispose() =>
            StageDuration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds, new KeyValuePair<string, object?>(StageTag, stage));
    }
}
