using System.Globalization;

namespace Kmrl.DocumentApi.Adapters;

/// <summary>A run of pixel rows, top inclusive, bottom exclusive.</summary>
internal readonly record struct RowRun(int Top, int Bottom)
{
    public int Height => Bottom - Top;

    /// <summary>ImageMagick's crop geometry for these rows across the whole width, with <paramref name="padding"/> rows above and below.</summary>
    public string CropGeometry(int width, int padding) => string.Create(CultureInfo.InvariantCulture,
        $"{width}x{Height + 2 * padding}+0+{Math.Max(0, Top - padding)}");
}

/// <summary>
/// Where a page has ink that no recognised line covers. Tesseract's LSTM can return nothing for a whole text line it
/// segmented (Debian's <c>ben</c> model drops every second line of the corpus's Bengali scan in --psm 3, 4, 6 and 7,
/// and reads each of them in --psm 11): the words are simply missing, with no low-confidence line to notice.
/// </summary>
internal static class InkRows
{
    /// <summary>A row is inked when at least this share of its pixels is dark (a few pixels on a 2000-pixel row).</summary>
    public const double MinInkShare = 0.002;

    /// <summary>Unread runs closer than this many rows are one run (the gap inside a line between a matra and a vowel sign).</summary>
    public const int MergeGap = 6;

    /// <summary>
    /// The share of dark pixels in each row, from ImageMagick's plain PGM of the page squeezed to one column
    /// (<c>-negate -scale 1xH! -compress none pgm:-</c>: "P2", "1 H", the maximum, then one value per row).
    /// </summary>
    public static double[] ParsePlainPgm(string pgm)
    {
        var tokens = pgm.Split((char[])[' ', '\n', '\r', '\t'], StringSplitOptions.RemoveEmptyEntries);
        if (tokens.Length < 4 || tokens[0] != "P2"
            || !int.TryParse(tokens[2], CultureInfo.InvariantCulture, out var height)
            || !double.TryParse(tokens[3], NumberStyles.Float, CultureInfo.InvariantCulture, out var maximum) || maximum <= 0)
        {
            return [];
        }
        var rows = new double[Math.Min(height, tokens.Length - 4)];
        for (var i = 0; i < rows.Length; i++)
        {
            rows[i] = double.TryParse(tokens[i + 4], NumberStyles.Float, CultureInfo.InvariantCulture, out var value) ? value / maximum : 0;
        }
        return rows;
    }

    /// <summary>
    /// Runs of inked rows outside every recognised line's box, at least <paramref name="minHeight"/> rows tall (a
    /// rule or a speck is not a text line), in page order.
    /// </summary>
    public static List<RowRun> Unread(double[] inkShare, IReadOnlyList<OcrLine> lines, int minHeight)
    {
        var read = new bool[inkShare.Length];
        foreach (var line in lines)
        {
            for (var row = Math.Max(0, line.Top); row < Math.Min(read.Length, line.Top + line.Height); row++) read[row] = true;
        }
        var runs = new List<RowRun>();
        int start = -1, lastInked = -1;
        for (var row = 0; row <= inkShare.Length; row++)
        {
            var unread = row < inkShare.Length && !read[row] && inkShare[row] >= MinInkShare;
            if (unread)
            {
                if (start >= 0 && row - lastInked > MergeGap)
                {
                    Add(start, lastInked + 1);
                    start = -1;
                }
                if (start < 0) start = row;
                lastInked = row;
            }
        }
        if (start >= 0) Add(start, lastInked + 1);
        return runs;

        void Add(int top, int bottom)
        {
            if (bottom - top >= minHeight) runs.Add(new RowRun(top, bottom));
        }
    }
}
