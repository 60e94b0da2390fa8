using Kmrl.DocumentApi.Model;

namespace Kmrl.DocumentApi.Processing;

/// <summary>
/// English, Malayalam or mixed by script ratio: letters in the Malayalam block (U+0D00–U+0D7F) against Latin
/// letters. Digits, punctuation and other scripts do not count.
/// </summary>
public static class LanguageDetector
{
    /// <summary>At or above this share of Malayalam letters the text is Malayalam; at or below 1 - it, English.</summary>
    public const double DominantShare = 0.8;

    public const int MinimumLetters = 3;

    public static (string Language, double MalayalamRatio) Detect(ReadOnlySpan<char> text)
    {
        var (malayalam, latin) = Count(text);
        return Decide(malayalam, latin);
    }

    public static LanguageResult DetectPages(IReadOnlyList<string> pages)
    {
        long malayalamTotal = 0, latinTotal = 0;
        var perPage = new List<PageLanguage>(pages.Count);
        for (var i = 0; i < pages.Count; i++)
        {
            var (malayalam, latin) = Count(pages[i]);
            malayalamTotal += malayalam;
            latinTotal += latin;
            var (language, ratio) = Decide(malayalam, latin);
            perPage.Add(new PageLanguage(i + 1, language, ratio));
        }
        var (documentLanguage, documentRatio) = Decide(malayalamTotal, latinTotal);
        return new LanguageResult(documentLanguage, documentRatio, perPage);
    }

    private static (long Malayalam, long Latin) Count(ReadOnlySpan<char> text)
    {
        long malayalam = 0, latin = 0;
        foreach (var c in text)
        {
            if (c is >= '\u0D00' and <= '\u0D7F')
            {
                // Vowel signs and the virama are part of a Malayalam syllable; counting them keeps the ratio
                // about letters written, which is what a reader sees.
                malayalam++;
            }
            else if (c is >= 'A' and <= 'Z' or >= 'a' and <= 'z' || (c is >= '\u00C0' and <= '\u024F' && char.IsLetter(c)))
            {
                latin++;
            }
        }
        return (malayalam, latin);
    }

    private static (string Language, double MalayalamRatio) Decide(long malayalam, long latin)
    {
        var letters = malayalam + latin;
        if (letters < MinimumLetters)
        {
            return (Languages.Undetermined, 0);
        }
        var ratio = Math.Round((double)malayalam / letters, 3);
        var language = ratio >= DominantShare ? Languages.Malayalam
            : ratio <= 1 - DominantShare ? Languages.English
            : Languages.Mixed;
        return (language, ratio);
    }
}
