using System.Text;

namespace Kmrl.DocumentApi.Processing;

/// <summary>
/// One spelling for Malayalam: older encoders and tesseract write chillu letters as consonant + virama + ZWJ
/// (ര്‍), Unicode 5.1+ text as atomic chillus (ർ). Keyword rules are written with the atomic form, so text is folded
/// to it (and to NFC) before it is stored.
/// </summary>
public static class MalayalamText
{
    private const char Virama = '\u0D4D';
    private const char ZeroWidthJoiner = '\u200D';

    private static readonly Dictionary<char, char> Chillus = new()
    {
        ['\u0D23'] = '\u0D7A', // ണ → ൺ
        ['\u0D28'] = '\u0D7B', // ന → ൻ
        ['\u0D30'] = '\u0D7C', // ര → ർ
        ['\u0D32'] = '\u0D7D', // ല → ൽ
        ['\u0D33'] = '\u0D7E', // ള → ൾ
        ['\u0D15'] = '\u0D7F', // ക → ൿ
    };

    public static string Normalise(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.IndexOf(ZeroWidthJoiner) < 0) return text.Normalize(NormalizationForm.FormC);
        var builder = new StringBuilder(text.Length);
        for (var i = 0; i < text.Length; i++)
        {
            if (i + 2 < text.Length && text[i + 1] == Virama && text[i + 2] == ZeroWidthJoiner && Chillus.TryGetValue(text[i], out var chillu))
            {
                builder.Append(chillu);
                i += 2;
            }
            else
            {
                builder.Append(text[i]);
            }
        }
        return builder.ToString().Normalize(NormalizationForm.FormC);
    }
}
