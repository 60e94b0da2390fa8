namespace Kmrl.Bench;

/// <summary>
/// One row of the report. <see cref="Ratio"/> is what the target is judged on, so noisy machines compare like with
/// like: both sides come from the same run.
/// </summary>
/// <param name="Measure">What was measured, with its unit: "uploads/s", "peak RSS growth (MiB)".</param>
/// <param name="Ours">Our figure, formatted with its unit.</param>
/// <param name="Baseline">The baseline's figure, or the reference it is compared with (the file size for P2).</param>
/// <param name="Ratio">ours / baseline in the direction the target is written in.</param>
/// <param name="Target">The target as the issue states it: "≥ 0.7", "< 64 MiB".</param>
/// <param name="Met">Whether the target was met in this run; null when the row is informative only.</param>
public sealed record BenchResult(
    string Id,
    string Measure,
    string Ours,
    string Baseline,
    string Ratio,
    string Target,
    bool? Met,
    string Notes = "");
