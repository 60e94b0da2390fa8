using System.Globalization;
using Kmrl.DocumentApi.Model;

namespace Kmrl.DocumentApi.Processing;

/// <summary>What a document is judged on: its text, file name, source and sender.</summary>
public sealed record ClassificationSubject(string Text, string FileName, string Source, string? SenderAddress);

/// <summary>
/// Applies the rules: every matching rule adds its weight to its type and its departments to the routing, and leaves
/// evidence ("rule invoice-en: keyword 'tax invoice' x2"). The type with the highest score wins; ties go to the rule
/// listed first.
/// </summary>
public static class RuleClassifier
{
    public static ClassificationResult Classify(ClassificationRuleSet rules, ClassificationSubject subject)
    {
        var text = subject.Text;
        var senderDomain = DomainOf(subject.SenderAddress);
        var typeScores = new Dictionary<string, (double Score, int Order)>(StringComparer.Ordinal);
        var departments = new List<string>();
        var evidence = new List<string>();

        for (var order = 0; order < rules.Rules.Count; order++)
        {
            var rule = rules.Rules[order];
            var reasons = Match(rule, text, subject, senderDomain, out var hits);
            if (reasons.Count == 0) continue;

            evidence.Add($"rule {rule.Id}: {string.Join(", ", reasons)}");
            if (rule.Type is not null)
            {
                var score = rule.Weight * Math.Max(1, hits);
                typeScores[rule.Type] = typeScores.TryGetValue(rule.Type, out var existing)
                    ? (existing.Score + score, existing.Order)
                    : (score, order);
            }
            foreach (var department in rule.Departments.Where(d => !departments.Contains(d)))
            {
                departments.Add(department);
            }
        }

        var type = typeScores.Count == 0
            ? rules.DefaultType
            : typeScores.OrderByDescending(t => t.Value.Score).ThenBy(t => t.Value.Order).First().Key;
        if (rules.TypeDepartments.TryGetValue(type, out var implied))
        {
            foreach (var department in implied.Where(d => !departments.Contains(d)))
            {
                departments.Add(department);
                evidence.Add($"type {type}: routed to {department}");
            }
        }
        return new ClassificationResult(type, departments, evidence);
    }

    private static List<string> Match(ClassificationRule rule, string text, ClassificationSubject subject, string? senderDomain, out int hits)
    {
        var reasons = new List<string>();
        hits = 0;
        if (rule.Keywords.Count > 0)
        {
            var found = new List<string>();
            foreach (var keyword in rule.Keywords)
            {
                var count = CountKeyword(text, keyword) + CountKeyword(subject.FileName, keyword);
                if (count > 0)
                {
                    hits += count;
                    found.Add(count == 1 ? $"keyword '{keyword}'" : $"keyword '{keyword}' x{count.ToString(CultureInfo.InvariantCulture)}");
                }
            }
            if (hits >= Math.Max(1, rule.MinHits))
            {
                reasons.AddRange(found);
            }
            else
            {
                hits = 0;
            }
        }
        if (senderDomain is not null && rule.SenderDomains.Any(d => DomainMatches(senderDomain, d)))
        {
            reasons.Add($"sender domain '{senderDomain}'");
        }
        if (rule.Sources.Contains(subject.Source, StringComparer.OrdinalIgnoreCase))
        {
            reasons.Add($"source '{subject.Source}'");
        }
        var name = rule.FileNameContains.FirstOrDefault(n => subject.FileName.Contains(n, StringComparison.OrdinalIgnoreCase));
        if (name is not null)
        {
            reasons.Add($"file name contains '{name}'");
        }
        return reasons;
    }

    // A Malayalam word ending in a chillu takes the full consonant before a suffix: സർക്കുലർ → സർക്കുലറിൽ.
    private static readonly Dictionary<char, string> ChilluForms = new()
    {
        ['\u0D7A'] = "\u0D7A\u0D23", // ൺ / ണ
        ['\u0D7B'] = "\u0D7B\u0D28", // ൻ / ന
        ['\u0D7C'] = "\u0D7C\u0D30\u0D31", // ർ / ര / റ
        ['\u0D7D'] = "\u0D7D\u0D32", // ൽ / ല
        ['\u0D7E'] = "\u0D7E\u0D33", // ൾ / ള
        ['\u0D7F'] = "\u0D7F\u0D15", // ൿ / ക
    };

    public static int CountKeyword(string text, string keyword)
    {
        if (string.IsNullOrEmpty(keyword) || string.IsNullOrEmpty(text)) return 0;
        var latin = keyword.Any(char.IsAsciiLetter);
        var endings = !latin && ChilluForms.TryGetValue(keyword[^1], out var forms) ? forms : null;
        var stem = endings is null ? keyword : keyword[..^1];
        var count = 0;
        var at = 0;
        while ((at = text.IndexOf(stem, at, StringComparison.OrdinalIgnoreCase)) >= 0)
        {
            var end = at + stem.Length;
            // Latin keywords must be whole words ("po" must not hit "report"); Malayalam words take case suffixes
            // (സർക്കുലറിൽ), so only the start is checked.
            var startOk = at == 0 || !IsWordChar(text[at - 1]);
            var endOk = endings is not null
                ? end < text.Length && endings.Contains(text[end])
                : !latin || end >= text.Length || !IsWordChar(text[end]);
            if (startOk && endOk) count++;
            at = end;
        }
        return count;
    }

    private static bool IsWordChar(char c) => char.IsLetterOrDigit(c) || char.GetUnicodeCategory(c) is UnicodeCategory.NonSpacingMark or UnicodeCategory.SpacingCombiningMark;

    private static string? DomainOf(string? address)
    {
        if (string.IsNullOrWhiteSpace(address)) return null;
        var at = address.LastIndexOf('@');
        return at < 0 ? null : address[(at + 1)..].Trim().TrimEnd('>').ToLowerInvariant();
    }

    private static bool DomainMatches(string domain, string rule)
    {
        rule = rule.Trim().TrimStart('@').ToLowerInvariant();
        return domain == rule || domain.EndsWith("." + rule, StringComparison.Ordinal);
    }
}
