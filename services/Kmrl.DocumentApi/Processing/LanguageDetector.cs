using Kmrl.DocumentApi.Model;

namespace Kmrl.DocumentApi.Processing;

/// <summary>
/// The language of a text by the script its letters are written in: Latin and every Indic script
/// (<see cref="Scripts"/>), named as ISO 639-1. A script with 80 % of the letters names the language, otherwise the
/// text is mixed and lists its parts. Digits, punctuation and other scripts do not count. The Malayalam share is
/// kept, as before, for the records that carry it.
/// </summary>
public static class LanguageDetector
{
    /// <summary>At or above this share of one script's letters the text is in that script's language.</summary>
    public const double DominantShare = 0.8;

    /// <summary>A script with at least this share of the letters is listed among a text's languages.</summary>
    public const double ListedShare = 0.1;

    public const int MinimumLetters = 3;

    public static (string Language, double MalayalamRatio) Detect(ReadOnlySpan<char> text)
    {
        var page = Decide(1, Scripts.Count(text));
        return (page.Language, page.MalayalamRatio);
    }

    /// <summary>The language of one page, with its script and parts.</summary>
    public static PageLanguage DetectPage(int page, ReadOnlySpan<char> text) => Decide(page, Scripts.Count(text));

    public static LanguageResult DetectPages(IReadOnlyList<string> pages)
    {
        var total = new Dictionary<Script, long>();
        var perPage = new List<PageLanguage>(pages.Count);
        for (var i = 0; i < pages.Count; i++)
        {
            var counts = Scripts.Count(pages[i]);
            foreach (var (script, count) in counts) total[script] = total.GetValueOrDefault(script) + count;
            perPage.Add(Decide(i + 1, counts));
        }
        var document = Decide(0, total);
        return new LanguageResult(document.Language, document.MalayalamRatio, perPage, document.Languages);
    }

    private static PageLanguage Decide(int page, Dictionary<Script, long> counts)
    {
        var letters = counts.Values.Sum();
        if (letters < MinimumLetters)
        {
            return new PageLanguage(page, Languages.Undetermined, 0, null, []);
        }
        var ranked = counts.OrderByDescending(p => p.Value).ThenBy(p => p.Key.Code, StringComparer.Ordinal).ToList();
        var (top, topCount) = (ranked[0].Key, ranked[0].Value);
        var malayalam = Math.Round((double)counts.GetValueOrDefault(Scripts.Malayalam) / letters, 3);
        var language = (double)topCount / letters >= DominantShare ? top.Language : Languages.Mixed;
        var listed = ranked.Where(p => (double)p.Value / letters >= ListedShare).Select(p => p.Key.Language).ToList();
        return new PageLanguage(page, language, malayalam, top.Code, listed);
    }
}
