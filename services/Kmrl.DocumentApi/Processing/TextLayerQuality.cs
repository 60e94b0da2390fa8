using System.Globalization;

namespace Kmrl.DocumentApi.Processing;

/// <summary>Where a page's stored text came from.</summary>
public static class PageSources
{
    /// <summary>The PDF's text layer (or the document's own text), trusted as it is.</summary>
    public const string TextLayer = "text";
    /// <summary>OCR of the rendered page, in place of a missing or broken text layer.</summary>
    public const string Ocr = "ocr";
    /// <summary>The text layer, followed by what OCR read that the layer lacks (a short but correct layer on a scan).</summary>
    public const string Both = "text+ocr";
    /// <summary>Neither: the page could not be read (rendering or OCR failed, or past the OCR page cap).</summary>
    public const string Failed = "failed";
}

/// <summary>What a page's text layer looks like, measured before anything is trusted.</summary>
/// <param name="Letters">Letters in a known script (Latin, Indic).</param>
/// <param name="TextCharacters">Letters and digits of any script: what <c>MinTextCharsPerPage</c> counts.</param>
/// <param name="BadShare">Share of the non-space characters that are C0/C1 controls, U+FFFD or private use.</param>
/// <param name="BrokenSyllableShare">Share of the Indic dependent signs (vowel signs, virama, anusvara...) that follow no letter they can attach to.</param>
public sealed record TextLayerMetrics(int Characters, int Letters, double BadShare, double BrokenSyllableShare, int TextCharacters = 0);

/// <summary>The decision for one page: which source, and why in words a reader of the record understands.</summary>
public sealed record TextLayerVerdict(string Source, string Reason, bool NeedsOcr, bool VerifyWithOcr);

/// <summary>
/// The per-page check OCRmyPDF and Tika make in their own ways: is the text layer real text? A layer is broken when
/// many of its characters are control or private-use characters (legacy fonts without a ToUnicode map), or when
/// its Indic syllables do not hold together (vowel signs with no consonant before them: glyph codes taken for
/// Unicode). A font without a ToUnicode map makes an otherwise plausible layer suspect, and then a quick OCR of the
/// page decides by agreement. A layer that is short but clean is kept, and OCR adds what it lacks.
/// </summary>
public static class TextLayerQuality
{
    /// <summary>The reason of a page that had no text to judge (a scan): the archive copy tells it from a replaced layer.</summary>
    public const string NoTextLayer = "no text layer";

    /// <summary>Above this share of control/private-use characters the layer is not text.</summary>
    public const double MaxBadShare = 0.05;

    /// <summary>Above this share of unattached Indic signs the layer is not text.</summary>
    public const double MaxBrokenSyllableShare = 0.15;

    /// <summary>At or above this share of the layer's words found in the OCR text, the layer is confirmed.</summary>
    public const double AgreementToKeep = 0.5;

    /// <summary>Below this share the layer is replaced by OCR; in between both are kept.</summary>
    public const double AgreementToReplace = 0.2;

    public static TextLayerMetrics Measure(ReadOnlySpan<char> text)
    {
        int characters = 0, letters = 0, bad = 0, signs = 0, broken = 0, textCharacters = 0;
        var previous = '\0';
        foreach (var c in text)
        {
            if (c is ' ' or '\n' or '\t' or '\r') { previous = c; continue; }
            characters++;
            if (char.IsLetterOrDigit(c)) textCharacters++;
            if (c < ' ' || c is >= '\u007F' and <= '\u009F' || c == '\uFFFD' || c is >= '\uE000' and <= '\uF8FF' || char.IsSurrogate(c))
            {
                // Surrogates here are almost always planes 15/16 (supplementary private use) in broken layers.
                bad++;
            }
            else if (Scripts.Of(c) is { } script)
            {
                letters++;
                if (script != Scripts.Latin && IsDependentSign(c))
                {
                    signs++;
                    if (!CanCarry(previous, c)) broken++;
                }
            }
            previous = c;
        }
        return new TextLayerMetrics(characters, letters,
            characters == 0 ? 0 : (double)bad / characters,
            signs == 0 ? 0 : (double)broken / signs, textCharacters);
    }

    /// <param name="minLetters">Fewer letters and digits than this is a page without (enough of) a text layer.</param>
    /// <param name="unmappedFonts">Fonts on the page that pdffonts lists without a ToUnicode map (embedded, not standard).</param>
    public static TextLayerVerdict Judge(string text, int minLetters, IReadOnlyCollection<string> unmappedFonts)
    {
        var metrics = Measure(text);
        if (metrics.BadShare > MaxBadShare)
        {
            return new TextLayerVerdict(PageSources.Ocr, Append($"broken text layer: {Percent(metrics.BadShare)} control or private-use characters", unmappedFonts), true, false);
        }
        if (metrics.BrokenSyllableShare > MaxBrokenSyllableShare)
        {
            return new TextLayerVerdict(PageSources.Ocr, Append($"broken text layer: {Percent(metrics.BrokenSyllableShare)} of the Indic signs attach to no letter", unmappedFonts), true, false);
        }
        if (metrics.TextCharacters == 0)
        {
            return new TextLayerVerdict(PageSources.Ocr, NoTextLayer, true, false);
        }
        if (metrics.TextCharacters < minLetters)
        {
            return new TextLayerVerdict(PageSources.Both, $"short text layer ({metrics.TextCharacters} letters and digits): OCR adds to it", true, false);
        }
        if (unmappedFonts.Count > 0)
        {
            return new TextLayerVerdict(PageSources.TextLayer, Append("text layer", unmappedFonts), false, true);
        }
        return new TextLayerVerdict(PageSources.TextLayer, "text layer", false, false);
    }

    /// <summary>Share of the text layer's words (two letters or more) that OCR also read.</summary>
    public static double Agreement(string textLayer, string ocr)
    {
        var layerWords = Words(textLayer);
        if (layerWords.Count == 0) return 0;
        var ocrWords = Words(ocr).ToHashSet(StringComparer.Ordinal);
        return (double)layerWords.Count(ocrWords.Contains) / layerWords.Count;
    }

    /// <summary>After a verification OCR: keep, combine or replace the layer by how much of it OCR confirms.</summary>
    public static TextLayerVerdict Verified(TextLayerVerdict suspect, double agreement) => agreement switch
    {
        >= AgreementToKeep => suspect with { Reason = $"{suspect.Reason}; OCR agrees with {Percent(agreement)} of its words" },
        < AgreementToReplace => new TextLayerVerdict(PageSources.Ocr, $"{suspect.Reason}; OCR agrees with only {Percent(agreement)} of its words", true, false),
        _ => new TextLayerVerdict(PageSources.Both, $"{suspect.Reason}; OCR agrees with {Percent(agreement)} of its words: both kept", true, false),
    };

    /// <summary>The text layer followed by the OCR lines that add words it does not have.</summary>
    public static string Combine(string textLayer, string ocr)
    {
        var known = Words(textLayer).ToHashSet(StringComparer.Ordinal);
        var added = ocr.Split('\n').Where(line => Words(line).Any(w => !known.Contains(w))).Select(l => l.Trim()).Where(l => l.Length > 0).ToList();
        return added.Count == 0 ? textLayer : textLayer.TrimEnd() + "\n" + string.Join('\n', added);
    }

    /// <summary>Lower-cased runs of letters and combining marks (Indic words hold vowel signs) of two or more.</summary>
    public static List<string> Words(string text)
    {
        var words = new List<string>();
        var start = -1;
        for (var i = 0; i <= text.Length; i++)
        {
            var inWord = i < text.Length && (char.IsLetter(text[i]) || CharUnicodeInfo.GetUnicodeCategory(text[i]) is UnicodeCategory.NonSpacingMark or UnicodeCategory.SpacingCombiningMark);
            if (inWord && start < 0) start = i;
            if (!inWord && start >= 0)
            {
                if (i - start >= 2) words.Add(text[start..i].ToLowerInvariant());
                start = -1;
            }
        }
        return words;
    }

    // ISCII layout offsets inside each Indic block.
    private static int Offset(char c) => (c - '\u0900') % 0x80;

    private static bool IsDependentSign(char c) => Offset(c) is (>= 0x01 and <= 0x03) or 0x3C or (>= 0x3E and <= 0x4D) or (>= 0x55 and <= 0x57) or 0x62 or 0x63;

    private static bool IsConsonant(char c) => Offset(c) is (>= 0x15 and <= 0x39) or (>= 0x58 and <= 0x5F) or (>= 0x7A and <= 0x7F);

    private static bool IsVowel(char c) => Offset(c) is (>= 0x04 and <= 0x14) or 0x60 or 0x61;

    /// <summary>Whether the sign may follow the previous character in a well-formed syllable.</summary>
    private static bool CanCarry(char previous, char sign)
    {
        if (Scripts.Of(previous) is not { } script || script == Scripts.Latin || !script.Contains(sign)) return false;
        var offset = Offset(sign);
        // Anusvara, visarga and candrabindu may close a vowel, a consonant or a vowel sign (കം, കാം); other signs need
        // a consonant (a nukta-marked one included) or, for length marks and stacked vowel signs, a vowel sign.
        if (offset is >= 0x01 and <= 0x03) return IsConsonant(previous) || IsVowel(previous) || IsDependentSign(previous);
        if (offset is 0x3C) return IsConsonant(previous);
        return IsConsonant(previous) || Offset(previous) is 0x3C || (IsDependentSign(previous) && Offset(previous) is >= 0x3E and <= 0x4C or >= 0x55 and <= 0x57);
    }

    private static string Percent(double share) => share.ToString("P0", CultureInfo.InvariantCulture).Replace(" ", "", StringComparison.Ordinal);

    private static string Append(string reason, IReadOnlyCollection<string> unmappedFonts) =>
        unmappedFonts.Count == 0 ? reason : $"{reason}; font {string.Join(", ", unmappedFonts)} has no ToUnicode map";
}
