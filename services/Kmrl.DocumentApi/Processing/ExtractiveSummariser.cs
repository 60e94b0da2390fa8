using System.Text;
using System.Text.RegularExpressions;
using Kmrl.ServiceDefaults;
using Kmrl.DocumentApi.Model;

namespace Kmrl.DocumentApi.Processing;

/// <summary>
/// An extractive summary: sentences scored by how many of the document's frequent words they carry (stop words
/// of the detected language left out), with a bonus for the opening and for sentences that hold key fields; the best
/// are returned in reading order, up to a character budget.
/// </summary>
public static partial class ExtractiveSummariser
{
    private static readonly HashSet<string> EnglishStopWords = new(StringComparer.OrdinalIgnoreCase)
    {
        "a", "an", "the", "and", "or", "of", "to", "in", "on", "for", "by", "with", "at", "from", "is", "are", "was",
        "were", "be", "been", "this", "that", "these", "those", "it", "its", "as", "shall", "will", "may", "all", "any",
        "not", "no", "has", "have", "had", "which", "who", "we", "you", "our", "your", "their", "he", "she", "they",
        "i", "his", "her", "them", "there", "also", "such", "into", "per", "if", "than", "then", "so", "do", "dear", "sir",
    };

    // Common Malayalam function words and postpositions: they carry grammar, not topic.
    private static readonly HashSet<string> MalayalamStopWords = new(StringComparer.Ordinal)
    {
        "ഈ", "ആ", "ഒരു", "എന്ന", "എന്നും", "ആണ്", "ആകുന്നു", "ഉം", "എന്നിവ", "ചെയ്യുന്നു", "ഉണ്ട്", "ഇല്ല", "അത്",
        "ഇത്", "അവ", "ഇവ", "മുതൽ", "വരെ", "കൂടി", "എല്ലാ", "വേണ്ടി", "പ്രകാരം", "ചെയ്യണം", "ആയി", "നിന്ന്",
    };

    public static string Summarise(string text, string language, int maxChars)
    {
        ArgumentNullException.ThrowIfNull(text);
        var sentences = SplitSentences(text);
        if (sentences.Count == 0) return string.Empty;

        var stopWords = language == Languages.Malayalam ? MalayalamStopWords : EnglishStopWords;
        var frequencies = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        var sentenceWords = sentences.Select(s => Words(s, stopWords)).ToList();
        foreach (var word in sentenceWords.SelectMany(w => w))
        {
            frequencies[word] = frequencies.GetValueOrDefault(word) + 1;
        }
        var top = frequencies.Count == 0 ? 1 : frequencies.Values.Max();

        var scored = sentences.Select((sentence, index) =>
        {
            var words = sentenceWords[index];
            var weight = words.Count == 0 ? 0 : words.Sum(w => (double)frequencies[w] / top) / Math.Sqrt(words.Count);
            var opening = index < 2 ? 0.5 : 0;
            var fields = KeyFieldHint().IsMatch(sentence) ? 0.3 : 0;
            return (Index: index, Sentence: sentence, Score: weight + opening + fields);
        }).OrderByDescending(s => s.Score).ThenBy(s => s.Index).ToList();

        var chosen = new List<(int Index, string Sentence)>();
        var used = 0;
        foreach (var candidate in scored)
        {
            var length = candidate.Sentence.Length + (chosen.Count > 0 ? 1 : 0);
            if (used + length > maxChars)
            {
                continue;
            }
            chosen.Add((candidate.Index, candidate.Sentence));
            used += length;
        }
        if (chosen.Count == 0)
        {
            // Even the best sentence is longer than the budget: cut it at a word boundary.
            return Truncate(scored[0].Sentence, maxChars);
        }
        return string.Join(" ", chosen.OrderBy(c => c.Index).Select(c => c.Sentence));
    }

    public static IReadOnlyList<string> SplitSentences(string text)
    {
        var normalised = WhitespacePattern().Replace(text.Replace('\f', '\n'), " ");
        var parts = new List<string>();
        foreach (var line in text.Replace('\f', '\n').Split('\n'))
        {
            foreach (var piece in SentenceEndPattern().Split(line))
            {
                var sentence = WhitespacePattern().Replace(piece, " ").Trim();
                // Fragments such as "Ref:" or page numbers are not sentences a reader needs.
                if (sentence.Length >= 12 && sentence.Count(char.IsLetter) >= 6)
                {
                    parts.Add(sentence);
                }
            }
        }
        return normalised.Length == 0 ? [] : parts;
    }

    private static List<string> Words(string sentence, HashSet<string> stopWords) =>
        WordPattern().Matches(sentence)
            .Select(m => m.Value.ToLowerInvariant())
            .Where(w => w.Length > 1 && !stopWords.Contains(w) && !w.All(char.IsDigit))
            .ToList();

    private static string Truncate(string sentence, int maxChars)
    {
        if (sentence.Length <= maxChars) return sentence;
        var cut = sentence.LastIndexOf(' ', Math.Max(0, maxChars - 1));
        var builder = new StringBuilder(sentence[..(cut > maxChars / 2 ? cut : maxChars - 1)]);
        return builder.Append('…').ToString();
    }

    // Sentence ends: . ! ? and the Devanagari danda some Malayalam text borrows; not inside numbers like 12.5 or M.G.
    [GeneratedRegex(@"(?<=[.!?।])(?<!\b\p{Lu}\.)(?<!\d\.(?=\d))\s+", RegexOptions.None, RegexBudget.MatchTimeoutMilliseconds)]
    private static partial Regex SentenceEndPattern();

    [GeneratedRegex(@"\s+", RegexOptions.None, RegexBudget.MatchTimeoutMilliseconds)]
    private static partial Regex WhitespacePattern();

    // A word: letters plus Malayalam combining marks (vowel signs and virama are category Mn/Mc).
    [GeneratedRegex(@"[\p{L}\p{Mn}\p{Mc}]+", RegexOptions.None, RegexBudget.MatchTimeoutMilliseconds)]
    private static partial Regex WordPattern();

    [GeneratedRegex(@"\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}|₹|\bRs\.?|\bINR\b|\bWO\b|\bPO\b|invoice|deadline|മുമ്പ്", RegexOptions.IgnoreCase, RegexBudget.MatchTimeoutMilliseconds)]
    private static partial Regex KeyFieldHint();
}
