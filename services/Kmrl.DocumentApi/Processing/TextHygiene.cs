namespace Kmrl.DocumentApi.Processing;

/// <summary>
/// What stored text may hold: no C0 control characters but tab and newline. Broken text layers (legacy-font PDFs)
/// are full of them, and a form feed would later be taken for a page break (pages are joined with form feeds).
/// </summary>
public static class TextHygiene
{
    public static string Clean(string text)
    {
        if (!text.Any(c => c < ' ' && c is not ('\t' or '\n'))) return text;
        var builder = new System.Text.StringBuilder(text.Length);
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            switch (c)
            {
                case '\r':
                    // CRLF and a lone CR are one line break.
                    if (i + 1 >= text.Length || text[i + 1] != '\n') builder.Append('\n');
                    break;
                case '\f' or '\v':
                    builder.Append('\n');
                    break;
                case '\t' or '\n':
                    builder.Append(c);
                    break;
                case < ' ':
                    break;
                default:
                    builder.Append(c);
                    break;
            }
        }
        return builder.ToString();
    }
}
