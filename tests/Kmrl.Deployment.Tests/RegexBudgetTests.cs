using System.Text.RegularExpressions;

namespace Kmrl.Deployment.Tests;

/// <summary>
/// Issue 18: every regex the services run on input carries a match timeout (Kmrl.ServiceDefaults RegexBudget) or runs
/// without backtracking, so a pattern that slips cannot hold a core for minutes on hostile text (`PO` and 2,000 spaces
/// took 133 s). Read from the sources: a new pattern without either fails here, not in production.
/// </summary>
public sealed partial class RegexBudgetTests
{
    /// <summary>Each regex declaration or static call in <paramref name="source"/> that names neither a timeout nor NonBacktracking.</summary>
    public static IEnumerable<string> Unbudgeted(string source, string file)
    {
        foreach (Match declaration in Declaration().Matches(source))
        {
            // An attribute ends at ")]", a construction or call at ";".
            var rest = source[declaration.Index..];
            var end = declaration.Value.StartsWith('[') ? rest.IndexOf(")]", StringComparison.Ordinal) : rest.IndexOf(';', StringComparison.Ordinal);
            var text = end < 0 ? rest : rest[..end];
            if (!text.Contains("MatchTimeout", StringComparison.Ordinal) && !text.Contains("NonBacktracking", StringComparison.Ordinal))
            {
                var line = source[..declaration.Index].Count(c => c == '\n') + 1;
                yield return $"{file}:{line}: {text.Split('\n')[0].Trim()}";
            }
        }
    }

    [Fact]
    public void Every_regex_in_the_services_has_a_match_timeout_or_runs_without_backtracking()
    {
        var services = Path.Combine(RepositoryRoot.Find(), "services");
        var sources = Directory.EnumerateFiles(services, "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .ToList();

        var unbudgeted = sources.SelectMany(f => Unbudgeted(File.ReadAllText(f), Path.GetRelativePath(services, f))).ToList();

        Assert.True(unbudgeted.Count == 0, string.Join("\n", unbudgeted));
        Assert.Contains(sources, f => File.ReadAllText(f).Contains("[GeneratedRegex(", StringComparison.Ordinal));
    }

    [Fact]
    public void A_pattern_without_a_timeout_is_caught_and_one_with_it_passes()
    {
        const string source = """
            [GeneratedRegex(@"^Pages:\s+(\d+)", RegexOptions.Multiline)]
            private static partial Regex Pages();
            [GeneratedRegex(@"\s+", RegexOptions.None, RegexBudget.MatchTimeoutMilliseconds)]
            private static partial Regex Blank();
            var a = new Regex("(a+)+b");
            var b = Regex.IsMatch(text, "x", RegexOptions.NonBacktracking);
            """;

        var found = Unbudgeted(source, "Sample.cs").ToList();

        Assert.Equal(2, found.Count);
        Assert.StartsWith("Sample.cs:1: [GeneratedRegex(@\"^Pages:", found[0], StringComparison.Ordinal);
        Assert.StartsWith("Sample.cs:5: new Regex(", found[1], StringComparison.Ordinal);
    }

    [GeneratedRegex(@"\[GeneratedRegex\(|\bnew Regex\(|\bRegex\.(?:IsMatch|Match|Matches|Replace|Split|Count|EnumerateMatches)\(", RegexOptions.NonBacktracking)]
    private static partial Regex Declaration();
}
