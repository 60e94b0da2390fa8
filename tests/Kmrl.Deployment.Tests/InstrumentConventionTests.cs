using System.Text.RegularExpressions;

namespace Kmrl.Deployment.Tests;

/// <summary>
/// Every instrument the services create follows the OpenTelemetry naming and unit conventions, checked on the source:
/// a lower-case dotted name in the <c>kmrl.</c> namespace with no unit or <c>total</c> in it, and a UCUM unit (<c>s</c>,
/// <c>By</c>, or an annotation such as <c>{document}</c>). Without a unit the Prometheus exporter cannot add
/// <c>_seconds</c> and a dashboard cannot tell a count from a duration.
/// </summary>
public sealed partial class InstrumentConventionTests
{
    private static readonly string[] Units = ["s", "By", "1"];

    [Fact]
    public void Every_instrument_has_a_dotted_kmrl_name_without_a_unit_in_it_and_a_ucum_unit()
    {
        var services = Path.Combine(RepositoryRoot.Find(), "services");
        var found = new List<string>();
        var violations = new List<string>();
        foreach (var file in Directory.EnumerateFiles(services, "*.cs", SearchOption.AllDirectories).Where(f => !f.Contains("/obj/", StringComparison.Ordinal)))
        {
            var text = File.ReadAllText(file);
            foreach (Match call in InstrumentCall().Matches(text))
            {
                // The call's arguments: up to the statement's end (instrument calls hold no ';' of their own).
                var end = text.IndexOf(';', call.Index);
                var arguments = text[(call.Index + call.Length)..end];
                var name = NameArgument().Match(arguments) is { Success: true } literal ? literal.Groups[1].Value : ConstantValue(text, arguments);
                var where = $"{Path.GetRelativePath(services, file)}: {name ?? arguments.Split(',')[0]}";
                found.Add(where);
                if (name is null || !ConventionalName().IsMatch(name) || UnitInName().IsMatch(name))
                {
                    violations.Add(where + ": the name is not lower-case dotted kmrl.* without a unit or 'total' in it");
                }
                var strings = StringLiteral().Matches(arguments).Select(m => m.Groups[1].Value).ToList();
                if (!strings.Any(s => Units.Contains(s, StringComparer.Ordinal) || AnnotationUnit().IsMatch(s)))
                {
                    violations.Add(where + ": no UCUM unit (s, By, 1 or {annotation}) among its arguments");
                }
            }
        }

        Assert.True(found.Count >= 15, "the scan found only: " + string.Join("; ", found));
        Assert.True(violations.Count == 0, string.Join("\n", violations));
    }

    /// <summary>A name given as a constant of the same file (<c>GaugeName</c>).</summary>
    private static string? ConstantValue(string text, string arguments)
    {
        var identifier = arguments.TrimStart().Split([',', ' ', ')'], 2)[0];
        var declaration = new Regex($"const string {Regex.Escape(identifier)} = \"([^\"]+)\"", RegexOptions.None, TimeSpan.FromSeconds(1)).Match(text);
        return declaration.Success ? declaration.Groups[1].Value : null;
    }

    [GeneratedRegex(@"\.Create(Counter|Histogram|UpDownCounter|Gauge|ObservableGauge|ObservableCounter|ObservableUpDownCounter)(<[^>]+>)?\(", RegexOptions.None, 1000)]
    private static partial Regex InstrumentCall();

    [GeneratedRegex(@"^\s*""([^""]+)""", RegexOptions.None, 1000)]
    private static partial Regex NameArgument();

    [GeneratedRegex(@"""([^""]*)""", RegexOptions.None, 1000)]
    private static partial Regex StringLiteral();

    [GeneratedRegex(@"^kmrl(\.[a-z][a-z0-9_]*)+$", RegexOptions.None, 1000)]
    private static partial Regex ConventionalName();

    [GeneratedRegex(@"(_|\.)(seconds|milliseconds|bytes|total|count)$", RegexOptions.None, 1000)]
    private static partial Regex UnitInName();

    [GeneratedRegex(@"^\{[a-z_]+\}$", RegexOptions.None, 1000)]
    private static partial Regex AnnotationUnit();
}
