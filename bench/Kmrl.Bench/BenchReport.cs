using System.Globalization;
using System.Text;

namespace Kmrl.Bench;

public sealed record BenchSection(string Id, string Title, IReadOnlyList<BenchResult> Results, TimeSpan Duration, string? Error);

/// <summary>The markdown report: the command, the machine, then one table of ours / baseline / ratio.</summary>
public static class BenchReport
{
    public static string Render(IReadOnlyList<BenchSection> sections, ReliabilityOutcome? reliability, BenchOptions options, IReadOnlyList<(string Name, string Value)> machine)
    {
        var text = new StringBuilder();
        text.AppendLine("# Benchmarks");
        text.AppendLine();
        text.AppendLine("Every figure is ours against its baseline measured in the same run, so the ratio is what counts on a noisy machine.");
        text.AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture, $"Produced by `{options.CommandLine}`{(options.Quick ? " (quick mode: smaller sizes and shorter runs; not the reference figures)" : string.Empty)}.");
        text.AppendLine();
        text.AppendLine("## Machine");
        text.AppendLine();
        foreach (var (name, value) in machine)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"- {name}: {value}");
        }
        text.AppendLine();
        text.AppendLine("## Results");
        text.AppendLine();
        text.AppendLine("| id | measure | ours | baseline | ratio | target | met | notes |");
        text.AppendLine("| --- | --- | --- | --- | --- | --- | --- | --- |");
        foreach (var section in sections)
        {
            if (section.Error is { } error)
            {
                text.AppendLine(CultureInfo.InvariantCulture, $"| {section.Id} | {Cell(section.Title)} | failed | | | | no | {Cell(error)} |");
                continue;
            }
            foreach (var row in section.Results)
            {
                var met = row.Met switch { true => "yes", false => "no", null => "–" };
                text.AppendLine(CultureInfo.InvariantCulture,
                    $"| {row.Id} | {Cell(row.Measure)} | {Cell(row.Ours)} | {Cell(row.Baseline)} | {Cell(row.Ratio)} | {Cell(row.Target)} | {met} | {Cell(row.Notes)} |");
            }
        }
        if (reliability is not null)
        {
            RenderReliability(text, reliability);
        }
        text.AppendLine();
        text.AppendLine("## Durations");
        text.AppendLine();
        foreach (var section in sections)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"- {section.Id} {section.Title}: {section.Duration.TotalSeconds:F0} s");
        }
        return text.ToString();
    }

    /// <summary>The report's ids are the issue's; the test folders are named for what they test.</summary>
    private const string Legend = "R1 `CrashConsistency/`, R2 `Outages/`, R3 `BadInput/`, R4 `Security/`, R5 `Load/` (folders of tests/Kmrl.Reliability.Tests).";

    private static void RenderReliability(StringBuilder text, ReliabilityOutcome reliability)
    {
        text.AppendLine();
        text.AppendLine("## Reliability suite (R1-R5)");
        text.AppendLine();
        text.AppendLine(Legend);
        text.AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture,
            $"`{reliability.Command}`: {reliability.Passed} passed, {reliability.Failed} failed, {reliability.Skipped} skipped in {reliability.Duration.TotalSeconds:F0} s. The same tests run bounded in CI (`./build.sh test`); pass or fail is decided by their assertions, the figures below are what they measured.");
        text.AppendLine();
        text.AppendLine("| id | measure | value | expected | mode |");
        text.AppendLine("| --- | --- | --- | --- | --- |");
        foreach (var figure in reliability.Figures)
        {
            text.AppendLine(CultureInfo.InvariantCulture,
                $"| {figure.Id} | {Cell(figure.Measure)} | {Cell(figure.Value)} | {Cell(figure.Expectation)} | {figure.Mode} |");
        }
    }

    private static string Cell(string value) => value.Replace("|", "\\|", StringComparison.Ordinal).ReplaceLineEndings(" ");
}
