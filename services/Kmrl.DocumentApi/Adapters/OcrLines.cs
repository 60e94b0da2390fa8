using System.Globalization;

namespace Kmrl.DocumentApi.Adapters;

/// <summary>One text line of tesseract's TSV: its words joined as the txt output writes them, its box and mean word confidence.</summary>
internal sealed record OcrLine(string Text, int Left, int Top, int Width, int Height, double Confidence)
{
    /// <summary>ImageMagick's crop geometry for the box with <paramref name="padding"/> pixels around it.</summary>
    public string CropGeometry(int padding) => string.Create(CultureInfo.InvariantCulture,
        $"{Width + 2 * padding}x{Height + 2 * padding}+{Math.Max(0, Left - padding)}+{Math.Max(0, Top - padding)}");
}

internal static class OcrLines
{
    /// <summary>The page's size in pixels, from the TSV's page row (level 1); null when there is none.</summary>
    public static (int Width, int Height)? PageSize(IEnumerable<string> tsv)
    {
        foreach (var row in tsv.Skip(1))
        {
            var columns = row.Split('\t');
            if (columns.Length >= 10 && columns[0] == "1"
                && int.TryParse(columns[8], CultureInfo.InvariantCulture, out var width) && int.TryParse(columns[9], CultureInfo.InvariantCulture, out var height)
                && width > 0 && height > 0)
            {
                return (width, height);
            }
        }
        return null;
    }

    /// <summary>
    /// The lines of a TSV (columns level, page, block, paragraph, line, word, left, top, width, height, conf, text),
    /// from its word rows (level 5): a line's box is the union of its words' boxes.
    /// </summary>
    public static IReadOnlyList<OcrLine> Parse(IEnumerable<string> tsv)
    {
        var lines = new List<OcrLine>();
        var words = new List<(string Text, int Left, int Top, int Right, int Bottom, double Confidence)>();
        string? current = null;
        foreach (var row in tsv.Skip(1))
        {
            var columns = row.Split('\t');
            if (columns.Length < 12 || columns[0] != "5" || columns[11].Trim().Length == 0) continue;
            if (!int.TryParse(columns[6], CultureInfo.InvariantCulture, out var left) || !int.TryParse(columns[7], CultureInfo.InvariantCulture, out var top)
                || !int.TryParse(columns[8], CultureInfo.InvariantCulture, out var width) || !int.TryParse(columns[9], CultureInfo.InvariantCulture, out var height)
                || !double.TryParse(columns[10], NumberStyles.Float, CultureInfo.InvariantCulture, out var confidence))
            {
                continue;
            }
            var key = $"{columns[1]}.{columns[2]}.{columns[3]}.{columns[4]}";
            if (key != current)
            {
                Flush(words, lines);
                current = key;
            }
            words.Add((columns[11].Trim(), left, top, left + width, top + height, Math.Max(0, confidence)));
        }
        Flush(words, lines);
        return lines;
    }

    private static void Flush(List<(string Text, int Left, int Top, int Right, int Bottom, double Confidence)> words, List<OcrLine> lines)
    {
        if (words.Count == 0) return;
        var left = words.Min(w => w.Left);
        var top = words.Min(w => w.Top);
        lines.Add(new OcrLine(string.Join(' ', words.Select(w => w.Text)), left, top, words.Max(w => w.Right) - left, words.Max(w => w.Bottom) - top,
            words.Average(w => w.Confidence)));
        words.Clear();
    }
}
