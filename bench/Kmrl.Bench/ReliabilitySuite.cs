using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Kmrl.Bench;

/// <summary>A figure one reliability test recorded (tests/Kmrl.Reliability.Tests/Support/ReliabilityReport).</summary>
public sealed record ReliabilityFigure(string Id, string Measure, string Value, string Expectation, string Mode);

/// <summary>What the reliability suite said: its figures, its test counts and how it was run.</summary>
public sealed record ReliabilityOutcome(string Command, int Passed, int Failed, int Skipped, TimeSpan Duration, IReadOnlyList<ReliabilityFigure> Figures);

/// <summary>
/// Runs the reliability suite (R1-R5) as `dotnet test`, in its long mode unless --quick, and collects what its tests
/// recorded. The tests decide pass or fail with their own assertions; the report only shows their figures.
/// </summary>
public static partial class ReliabilitySuite
{
    private const string Project = "tests/Kmrl.Reliability.Tests";

    public static async Task<ReliabilityOutcome> RunAsync(bool quick, string scratch, TextWriter log, CancellationToken cancellationToken)
    {
        var results = Path.Combine(scratch, "reliability-results");
        var figures = Path.Combine(scratch, "reliability.jsonl");
        var mode = quick ? "ci" : "long";
        var arguments = $"test {Project} -c Release --logger trx --results-directory {results}";
        var start = new ProcessStartInfo("dotnet", arguments) { RedirectStandardOutput = true, RedirectStandardError = true };
        start.Environment["KMRL_RELIABILITY_MODE"] = mode;
        start.Environment["KMRL_RELIABILITY_REPORT"] = figures;
        var clock = Stopwatch.StartNew();
        using var process = Process.Start(start) ?? throw new InvalidOperationException("dotnet test did not start.");
        process.OutputDataReceived += (_, line) => { if (line.Data is { } text) { log.WriteLine(text); } };
        process.ErrorDataReceived += (_, line) => { if (line.Data is { } text) { log.WriteLine(text); } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        await process.WaitForExitAsync(cancellationToken);
        clock.Stop();

        var (passed, failed, skipped) = CountResults(results);
        if (passed + failed == 0)
        {
            throw new InvalidOperationException($"The reliability suite ran no test (dotnet test exited with {process.ExitCode}).");
        }
        var command = $"KMRL_RELIABILITY_MODE={mode} dotnet {arguments.Replace(results, "<results>", StringComparison.Ordinal)}";
        return new ReliabilityOutcome(command, passed, failed, skipped, clock.Elapsed, ReadFigures(figures));
    }

    private static IReadOnlyList<ReliabilityFigure> ReadFigures(string path)
    {
        if (!File.Exists(path))
        {
            return [];
        }
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web);
        return File.ReadLines(path)
            .Where(line => !string.IsNullOrWhiteSpace(line))
            .Select(line => JsonSerializer.Deserialize<ReliabilityFigure>(line, options)!)
            .OrderBy(figure => figure.Id, StringComparer.Ordinal)
            .ToList();
    }

    private static (int Passed, int Failed, int Skipped) CountResults(string directory)
    {
        int passed = 0, failed = 0, skipped = 0;
        if (!Directory.Exists(directory))
        {
            return (0, 0, 0);
        }
        foreach (var file in Directory.EnumerateFiles(directory, "*.trx"))
        {
            var counters = CountersElement().Match(File.ReadAllText(file)).Value;
            passed += Counter(counters, "passed");
            failed += Counter(counters, "failed");
            skipped += Counter(counters, "notExecuted");
        }
        return (passed, failed, skipped);
    }

    private static int Counter(string element, string name)
    {
        var match = Regex.Match(element, $" {name}=\"(\\d+)\"");
        return match.Success ? int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) : 0;
    }

    [GeneratedRegex("<Counters [^>]*>")]
    private static partial Regex CountersElement();
}
