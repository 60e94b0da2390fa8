namespace Kmrl.DocumentApi.Processing;

/// <summary>
/// A writing system the pipeline knows: its ISO 15924 code, the Unicode block, the language it most often writes here
/// (ISO 639-1), the tesseract traineddata that reads it, and what tesseract's OSD calls it.
/// </summary>
public sealed record Script(string Code, char First, char Last, string Language, string Traineddata, string OsdName)
{
    public bool Contains(char c) => c >= First && c <= Last;
}

/// <summary>
/// Latin and the nine major Indic scripts. Each Indic block follows the ISCII layout (signs, vowels, consonants,
/// nukta, vowel signs, virama at the same offsets), which <see cref="TextLayerQuality"/> uses to check syllables.
/// A script writes several languages (Devanagari: Hindi, Marathi, Nepali; Bengali: Bengali, Assamese); the one named
/// is the one KMRL receives: Union government circulars in Hindi, neighbouring states in Tamil, Kannada, Telugu.
/// </summary>
public static class Scripts
{
    public static readonly Script Latin = new("Latn", 'A', '\u024F', "en", "eng", "Latin");
    public static readonly Script Devanagari = new("Deva", '\u0900', '\u097F', "hi", "hin", "Devanagari");
    public static readonly Script Bengali = new("Beng", '\u0980', '\u09FF', "bn", "ben", "Bengali");
    public static readonly Script Gurmukhi = new("Guru", '\u0A00', '\u0A7F', "pa", "pan", "Gurmukhi");
    public static readonly Script Gujarati = new("Gujr", '\u0A80', '\u0AFF', "gu", "guj", "Gujarati");
    public static readonly Script Oriya = new("Orya", '\u0B00', '\u0B7F', "or", "ori", "Oriya");
    public static readonly Script Tamil = new("Taml", '\u0B80', '\u0BFF', "ta", "tam", "Tamil");
    public static readonly Script Telugu = new("Telu", '\u0C00', '\u0C7F', "te", "tel", "Telugu");
    public static readonly Script Kannada = new("Knda", '\u0C80', '\u0CFF', "kn", "kan", "Kannada");
    public static readonly Script Malayalam = new("Mlym", '\u0D00', '\u0D7F', "ml", "mal", "Malayalam");

    public static IReadOnlyList<Script> Indic { get; } = [Devanagari, Bengali, Gurmukhi, Gujarati, Oriya, Tamil, Telugu, Kannada, Malayalam];

    public static IReadOnlyList<Script> All { get; } = [Latin, .. Indic];

    /// <summary>The script of a letter, or null (digits, punctuation, other scripts).</summary>
    public static Script? Of(char c)
    {
        if (c < '\u0900')
        {
            return c is >= 'A' and <= 'Z' or >= 'a' and <= 'z' || (c is >= '\u00C0' and <= '\u024F' && char.IsLetter(c)) ? Latin : null;
        }
        if (c > '\u0D7F') return null;
        var script = Indic[(c - '\u0900') / 0x80];
        // Indic digits and the danda are not letters of the language.
        var offset = (c - '\u0900') % 0x80;
        return offset is >= 0x64 and <= 0x6F ? null : script;
    }

    /// <summary>Letters per script in the text.</summary>
    public static Dictionary<Script, long> Count(ReadOnlySpan<char> text)
    {
        var counts = new Dictionary<Script, long>();
        foreach (var c in text)
        {
            if (Of(c) is { } script) counts[script] = counts.GetValueOrDefault(script) + 1;
        }
        return counts;
    }

    public static Script? ByOsdName(string name) => All.FirstOrDefault(s => s.OsdName.Equals(name, StringComparison.OrdinalIgnoreCase));

    public static Script? ByTraineddata(string name) => All.FirstOrDefault(s => s.Traineddata.Equals(name, StringComparison.Ordinal));
}
