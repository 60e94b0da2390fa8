using System.Text.Json;

namespace Kmrl.Reliability.Tests.Support;

/// <summary>
/// Figures a reliability test measured (counts, latencies, RSS), appended as JSON lines to the file named by
/// <c>KMRL_RELIABILITY_REPORT</c> so the benchmark report can show them; without the variable nothing is written.
/// The test's assertions decide pass or fail, not this file.
/// </summary>
public static class ReliabilityReport
{
    private static readonly string? ReportPath = Environment.GetEnvironmentVariable("KMRL_RELIABILITY_REPORT");
    private static readonly Lock Gate = new();

    /// <param name="id">The id: R1 (CrashConsistency/), R2 (Outages/), R3 (BadInput/), R4 (Security/), R5 (Load/).</param>
    /// <param name="measure">What was measured: "documents in the catalog after 5 kills".</param>
    /// <param name="value">The figure with its unit.</param>
    /// <param name="expectation">What the test requires: "500, 0 lost, 0 duplicated".</param>
    public static void Record(string id, string measure, string value, string expectation)
    {
        if (ReportPath is null)
        {
            return;
        }
        var line = JsonSerializer.Serialize(new { id, measure, value, expectation, mode = ReliabilityMode.Long ? "long" : "ci" });
        lock (Gate)
        {
            File.AppendAllText(ReportPath, line + Environment.NewLine);
        }
    }
}
