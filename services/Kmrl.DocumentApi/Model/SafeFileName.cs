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
        return name.Length == 0 || name is "." or ".." ? Fallback : Shorten(name);
    }

    /// <summary>Longest name in UTF-8 bytes: what ext4, XFS, NTFS and most blob stores and mail clients accept.</summary>
    public const int MaxBytes = 255;

    /// <summary>
    /// A name over <see cref="MaxBytes"/> keeps its extension (what tells a reader the type) and loses the end of its
    /// stem, cut between whole text elements so that no surrogate pair or Malayalam conjunct is split.
    /// </summary>
    private static string Shorten(string name)
    {
        if (System.Text.Encoding.UTF8.GetByteCount(name) <= MaxBytes) return name;
        var extension = Path.GetExtension(name);
        if (extension.Length > 16 || extension.Length == name.Length) extension = string.Empty; // not an extension, just a dot
        var budget = MaxBytes - System.Text.Encoding.UTF8.GetByteCount(extension);
        var stem = new System.Text.StringBuilder();
        var used = 0;
        var elements = System.Globalization.StringInfo.GetTextElementEnumerator(name[..^extension.Length]);
        while (elements.MoveNext())
        {
            var element = elements.GetTextElement();
            var bytes = System.Text.Encoding.UTF8.GetByteCount(element);
            if (used + bytes > budget) break;
            stem.Append(element);
            used += bytes;
        }
        var kept = stem.ToString().TrimEnd();
        return kept.Length == 0 ? Fallback + extension : kept + extension;
    }

    private static bool IsBidiControl(char c) => c is '\u200E' or '\u200F' or (>= '\u202A' and <= '\u202E') or (>= '\u2066' and <= '\u2069');
}
