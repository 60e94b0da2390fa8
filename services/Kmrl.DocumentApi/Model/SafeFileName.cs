namespace Kmrl.DocumentApi.Model;

/// <summary>
/// The file name a document is catalogued under: the last segment of whatever path a client or source sent
/// (<c>/</c> and <c>\</c> both separate, whatever the server's OS), without control characters (CR/LF, NUL, bell...)
/// and without bidirectional overrides (U+202E makes <c>invoice‮fdp.exe</c> look like a PDF). The name travels into
/// events, logs, listings and Content-Disposition headers, so it must be plain text. ZWJ/ZWNJ stay: Malayalam uses them.
/// </summary>
public static class SafeFileName
{
    public const string Fallback = "unnamed";

    public static string From(string? sent)
    {
        if (string.IsNullOrEmpty(sent))
        {
            return Fallback;
        }
        var lastSegment = sent.Replace('\\', '/');
        lastSegment = lastSegment[(lastSegment.LastIndexOf('/') + 1)..];
        var kept = lastSegment.Where(c => !char.IsControl(c) && !IsBidiControl(c)).ToArray();
        var name = new string(kept).Trim();
        return name.Length == 0 || name is "." or ".." ? Fallback : name;
    }

    private static bool IsBidiControl(char c) => c is '\u200E' or '\u200F' or (>= '\u202A' and <= '\u202E') or (>= '\u2066' and <= '\u2069');
}
