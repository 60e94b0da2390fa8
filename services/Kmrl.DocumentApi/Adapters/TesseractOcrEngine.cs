using System.Globalization;
using System.Text.RegularExpressions;
using Kmrl.DocumentApi.Extensions;
using Kmrl.DocumentApi.Ports;
using Kmrl.DocumentApi.Processing;
using Kmrl.ServiceDefaults;
using Microsoft.Extensions.Options;

namespace Kmrl.DocumentApi.Adapters;

/// <summary>
/// OCR with the tesseract CLI; PDF pages are rasterised first with pdftoppm. Before recognition each page goes
/// through tesseract's orientation and script detection (<c>--psm 0</c>, the <c>osd</c> traineddata): a page turned
/// 90° or 180° is turned back and deskewed with ImageMagick, and the page is read with the languages its script
/// needs (<c>hin+eng</c> for a Devanagari page, <c>eng</c> alone for a Latin one, so no Malayalam is invented on
/// English pages) out of <see cref="OcrOptions.AllowedLanguages"/>. A pack that is not installed is named on the page.
/// Each call works in its own temp folder, so concurrent activities do not collide.
/// </summary>
public sealed partial class TesseractOcrEngine(IOptions<OcrOptions> options, ILogger<TesseractOcrEngine> logger) : IOcrEngine
{
    private readonly OcrOptions _options = options.Value;
    private Task<HashSet<string>>? _installed;

    public async Task<string> RecogniseImageAsync(string imagePath, CancellationToken cancellationToken) =>
        (await ReadImageAsync(imagePath, 0, cancellationToken)).Text;

    public async Task<string> RecognisePdfPageAsync(string pdfPath, int pageNumber, CancellationToken cancellationToken) =>
        (await ReadPdfPageAsync(pdfPath, pageNumber, cancellationToken)).Text;

    public async Task<OcrPage> ReadImageAsync(string imagePath, int frame, CancellationToken cancellationToken)
    {
        var folder = Directory.CreateTempSubdirectory("kmrl-ocr-");
        try
        {
            var image = imagePath;
            List<string> missing = [];
            if (frame > 0 || IsTiff(imagePath))
            {
                // tesseract reads every frame of a TIFF at once; one frame is taken out so each page gets its own
                // orientation, languages and confidence.
                image = Path.Combine(folder.FullName, "frame.png");
                try
                {
                    await RunAsync(_options.ConvertPath, [$"{imagePath}[{frame.ToString(CultureInfo.InvariantCulture)}]", image], cancellationToken);
                }
                catch (ToolNotInstalledException) when (frame == 0)
                {
                    image = imagePath;
                    missing.Add("imagemagick");
                }
            }
            return await ReadPageImageAsync(image, folder.FullName, missing, cancellationToken);
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    public async Task<OcrPage> ReadPdfPageAsync(string pdfPath, int pageNumber, CancellationToken cancellationToken)
    {
        var folder = Directory.CreateTempSubdirectory("kmrl-ocr-");
        try
        {
            var page = pageNumber.ToString(CultureInfo.InvariantCulture);
            var imageBase = Path.Combine(folder.FullName, "page");
            await RunAsync(_options.PdftoppmPath,
                ["-f", page, "-l", page, "-r", _options.Dpi.ToString(CultureInfo.InvariantCulture), "-gray", "-png", "-singlefile", pdfPath, imageBase],
                cancellationToken);
            return await ReadPageImageAsync(imageBase + ".png", folder.FullName, [], cancellationToken);
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    private static bool IsTiff(string path)
    {
        Span<byte> magic = stackalloc byte[4];
        using var file = File.OpenRead(path);
        return file.Read(magic) == 4 && (magic.SequenceEqual("II*\0"u8) || magic.SequenceEqual("MM\0*"u8));
    }

    private async Task<OcrPage> ReadPageImageAsync(string image, string folder, List<string> missing, CancellationToken cancellationToken)
    {
        var installed = await InstalledAsync(cancellationToken);
        var osd = installed.Contains("osd") ? await DetectOrientationAsync(image, cancellationToken) : null;
        if (osd is null && !installed.Contains("osd")) missing.Add("tesseract-ocr-osd");

        var rotation = osd is { Rotate: not 0 } && osd.Confidence >= _options.RotateConfidence ? osd.Rotate : 0;
        var skew = 0.0;
        try
        {
            if (_options.Deskew) skew = await MeasureSkewAsync(image, rotation, cancellationToken);
            if (rotation != 0 || Math.Abs(skew) >= MinSkewDegrees)
            {
                // One turn at full resolution: the orientation OSD found and the skew measured after it.
                var straightened = Path.Combine(folder, "straight.png");
                await RunAsync(_options.ConvertPath,
                    [image, "-background", "white", "-rotate", rotation.ToString(CultureInfo.InvariantCulture), "-rotate", skew.ToString("0.##", CultureInfo.InvariantCulture), straightened],
                    cancellationToken);
                image = straightened;
            }
        }
        catch (ToolNotInstalledException)
        {
            // Without ImageMagick the page is read as it is; the record says what would have turned it.
            if (rotation != 0) missing.Add("imagemagick");
            rotation = 0;
            skew = 0;
        }

        var script = osd?.Script is { } name ? Scripts.ByOsdName(name) : null;
        var languages = script is null ? Fallback(installed) : For(script, installed, missing);
        var (text, confidence, tsv) = await RecogniseAsync(image, folder, languages, cancellationToken);
        if (script is null)
        {
            // No script hint (too little text for OSD): judge by what the first pass read, and read again only when
            // it is in a script the languages used do not fit.
            var counts = Scripts.Count(text);
            if (counts.Count > 0)
            {
                var seen = counts.MaxBy(p => p.Value).Key;
                var fitting = For(seen, installed, missing);
                if (!fitting.SequenceEqual(languages))
                {
                    (text, confidence, tsv) = await RecogniseAsync(image, folder, fitting, cancellationToken);
                    languages = fitting;
                }
            }
        }
        text = await ReadUnreadRowsAsync(image, folder, text, tsv, languages, cancellationToken);
        if (languages is ["eng"])
        {
            (text, var lineLanguages) = await RereadForeignLinesAsync(image, folder, text, tsv, installed, cancellationToken);
            languages = [.. languages, .. lineLanguages.Where(l => !languages.Contains(l))];
        }
        return new OcrPage(text, confidence, string.Join('+', languages), rotation, osd?.Script, missing.Distinct().ToList(), Math.Round(skew, 1));
    }

    /// <summary>A line English reads this badly is likely in another script (a Malayalam line on an English notice).</summary>
    internal const double ForeignLineConfidence = 50;

    /// <summary>At most this many lines of a page get their own script detection: a noisy scan must not cost a pass per line.</summary>
    private const int MaxRereadLines = 8;

    /// <summary>
    /// OSD sees one script per page, so an English page's one Malayalam line was read as English nonsense. Each line
    /// English reads with low confidence is cut out (ImageMagick), its script detected on its own (OSD on one line
    /// names it), and read again with that script's pack and English as a single line; the new reading replaces the
    /// line when it is in that script and more confident. Returns the page's text and the packs lines were read with.
    /// </summary>
    private async Task<(string Text, List<string> Languages)> RereadForeignLinesAsync(
        string image, string folder, string text, IReadOnlyList<string> tsv, HashSet<string> installed, CancellationToken cancellationToken)
    {
        var used = new List<string>();
        if (!installed.Contains("osd")) return (text, used);
        var allowed = Allowed();
        var index = 0;
        foreach (var line in OcrLines.Parse(tsv).Where(l => l.Confidence < ForeignLineConfidence && l.Text.Length >= 3).Take(MaxRereadLines))
        {
            var crop = Path.Combine(folder, $"line{index++}.png");
            try
            {
                await RunAsync(_options.ConvertPath, [image, "-crop", line.CropGeometry(Padding), "+repage", crop], cancellationToken);
            }
            catch (ToolNotInstalledException)
            {
                return (text, used); // without ImageMagick a page is read as it was before
            }
            var lineOsd = await DetectOrientationAsync(crop, cancellationToken);
            if (lineOsd?.Script is not { } name || Scripts.ByOsdName(name) is not { } script || script == Scripts.Latin) continue;
            if (!allowed.Contains(script.Traineddata) || !installed.Contains(script.Traineddata)) continue;
            var outputBase = Path.Combine(folder, $"line{index}");
            await RunAsync(_options.TesseractPath,
                [crop, outputBase, .. TessdataArguments(), "-l", script.Traineddata + "+eng", "--psm", "7", "--dpi", _options.Dpi.ToString(CultureInfo.InvariantCulture), "txt", "tsv"],
                cancellationToken);
            var reread = (await File.ReadAllTextAsync(outputBase + ".txt", cancellationToken)).Trim();
            var rereadConfidence = MeanConfidence(await File.ReadAllLinesAsync(outputBase + ".tsv", cancellationToken)) ?? 0;
            var counts = Scripts.Count(reread);
            if (reread.Length == 0 || rereadConfidence <= line.Confidence || counts.GetValueOrDefault(script) * 2 < counts.Values.Sum()) continue;
            var at = text.IndexOf(line.Text, StringComparison.Ordinal);
            text = at >= 0 ? string.Concat(text.AsSpan(0, at), reread, text.AsSpan(at + line.Text.Length)) : text.TrimEnd() + "\n" + reread + "\n";
            if (!used.Contains(script.Traineddata)) used.Add(script.Traineddata);
        }
        return (text, used);
    }

    /// <summary>An unread run of rows shorter than this (at 300 dpi, 20 rows: a 5 pt line) is a rule or a speck, not text.</summary>
    private int MinUnreadRows => Math.Max(8, _options.Dpi / 15);

    /// <summary>A sparse re-read of ink no line covered is kept only this confident: a logo or a stamp reads as noise.</summary>
    internal const double MinUnreadConfidence = 60;

    /// <summary>
    /// Ink that no recognised line covers is read again: tesseract can segment a line and recognise nothing in it (see
    /// <see cref="InkRows"/>), so the page's words are silently short. Each such run of rows (found from ImageMagick's
    /// row profile, one cheap pass) is cut out across the page and read in sparse-text mode (<c>--psm 11</c>, which
    /// recognises word by word) with the page's languages; a confident reading goes in after the line above it.
    /// </summary>
    private async Task<string> ReadUnreadRowsAsync(
        string image, string folder, string text, IReadOnlyList<string> tsv, List<string> languages, CancellationToken cancellationToken)
    {
        if (OcrLines.PageSize(tsv) is not var (width, height)) return text;
        ToolRun profile;
        try
        {
            profile = await ToolProcess.RunAsync(_options.ConvertPath,
                [image, "-colorspace", "Gray", "-negate", "-scale", string.Create(CultureInfo.InvariantCulture, $"1x{height}!"), "-depth", "16", "-compress", "none", "pgm:-"],
                Timeout, cancellationToken);
        }
        catch (ToolNotInstalledException)
        {
            return text; // without ImageMagick a page is read as it was before
        }
        if (profile.ExitCode != 0) return text;
        var lines = OcrLines.Parse(tsv);
        var found = new List<(OcrLine? Above, string Text)>();
        var index = 0;
        foreach (var run in InkRows.Unread(InkRows.ParsePlainPgm(profile.Stdout), lines, MinUnreadRows).Take(MaxRereadLines))
        {
            var crop = Path.Combine(folder, $"rows{index}.png");
            var outputBase = Path.Combine(folder, $"rows{index++}");
            await RunAsync(_options.ConvertPath, [image, "-crop", run.CropGeometry(width, Padding), "+repage", crop], cancellationToken);
            await RunAsync(_options.TesseractPath,
                [crop, outputBase, .. TessdataArguments(), "-l", string.Join('+', languages), "--psm", "11", "--dpi", _options.Dpi.ToString(CultureInfo.InvariantCulture), "tsv"],
                cancellationToken);
            var rows = await File.ReadAllLinesAsync(outputBase + ".tsv", cancellationToken);
            // Sparse mode makes each word its own block; the run's words in reading order are its line(s).
            var reread = string.Join(' ', OcrLines.Parse(rows).Select(l => l.Text)).Trim();
            if (reread.Length == 0 || (MeanConfidence(rows) ?? 0) < MinUnreadConfidence) continue;
            found.Add((lines.Where(l => l.Top < run.Top).MaxBy(l => l.Top), reread));
        }
        foreach (var group in found.GroupBy(f => f.Above))
        {
            var added = string.Join('\n', group.Select(f => f.Text));
            var at = group.Key is { } above && text.IndexOf(above.Text, StringComparison.Ordinal) is var start and >= 0
                ? text.IndexOf('\n', start + above.Text.Length) is var end and >= 0 ? end : text.Length
                : -1;
            text = at < 0 ? added + "\n" + text : string.Concat(text.AsSpan(0, at), "\n", added, text.AsSpan(at));
        }
        return text;
    }

    /// <summary>Pixels kept around a line's box when it is cut out: descenders and vowel signs reach past tesseract's box.</summary>
    private const int Padding = 12;

    /// <summary>Smaller skews are left to tesseract, which reads a line a degree off well; turning costs a full-page pass.</summary>
    private const double MinSkewDegrees = 0.5;

    /// <summary>
    /// ImageMagick's deskew angle, measured on a quarter-size copy already turned upright: deskew on the full page
    /// took longer than the OCR itself, and the angle is the same at a quarter of the pixels.
    /// </summary>
    private async Task<double> MeasureSkewAsync(string image, int rotation, CancellationToken cancellationToken)
    {
        var run = await ToolProcess.RunAsync(_options.ConvertPath,
            [image, "-rotate", rotation.ToString(CultureInfo.InvariantCulture), "-resize", "25%", "-deskew", "40%", "-format", "%[deskew:angle]", "info:"],
            Timeout, cancellationToken);
        return run.ExitCode == 0 && double.TryParse(run.Stdout.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var angle) && Math.Abs(angle) <= 45 ? angle : 0;
    }

    /// <summary>The script's traineddata and English (Indian documents mix them), as far as allowed and installed.</summary>
    private List<string> For(Script script, HashSet<string> installed, List<string> missing)
    {
        var allowed = Allowed();
        List<string> wanted = script == Scripts.Latin ? ["eng"] : [script.Traineddata, "eng"];
        var languages = new List<string>();
        foreach (var language in wanted)
        {
            if (!allowed.Contains(language)) continue;
            if (installed.Contains(language)) languages.Add(language);
            else missing.Add("tesseract-ocr-" + language);
        }
        return languages.Count > 0 ? languages : Fallback(installed);
    }

    private List<string> Fallback(HashSet<string> installed)
    {
        var languages = _options.Languages.Split('+', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Where(installed.Contains).ToList();
        // Nothing configured is installed: let tesseract say so (the page is recorded as failed).
        return languages.Count > 0 ? languages : [.. _options.Languages.Split('+')];
    }

    private HashSet<string> Allowed() =>
        _options.AllowedLanguages.Split('+', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToHashSet(StringComparer.Ordinal);

    private async Task<(string Text, double? Confidence, IReadOnlyList<string> Tsv)> RecogniseAsync(string image, string folder, List<string> languages, CancellationToken cancellationToken)
    {
        var outputBase = Path.Combine(folder, "out");
        await RunAsync(_options.TesseractPath,
            [image, outputBase, .. TessdataArguments(), "-l", string.Join('+', languages), "--dpi", _options.Dpi.ToString(CultureInfo.InvariantCulture), "txt", "tsv"],
            cancellationToken);
        var text = await File.ReadAllTextAsync(outputBase + ".txt", cancellationToken);
        var tsv = outputBase + ".tsv";
        var lines = File.Exists(tsv) ? await File.ReadAllLinesAsync(tsv, cancellationToken) : [];
        return (text, lines.Length > 0 ? MeanConfidence(lines) : null, lines);
    }

    /// <summary>Mean of the word confidences in tesseract's TSV (level 5 rows with text; -1 marks non-words).</summary>
    internal static double? MeanConfidence(IEnumerable<string> tsvLines)
    {
        var confidences = new List<double>();
        foreach (var line in tsvLines.Skip(1))
        {
            var columns = line.Split('\t');
            if (columns.Length < 12 || columns[0] != "5" || columns[11].Trim().Length == 0) continue;
            if (double.TryParse(columns[10], NumberStyles.Float, CultureInfo.InvariantCulture, out var confidence) && confidence >= 0)
            {
                confidences.Add(confidence);
            }
        }
        return confidences.Count == 0 ? null : Math.Round(confidences.Average(), 1);
    }

    /// <summary>
    /// OSD gives up under 50 characters by default ("Too few characters"): a two-line Hindi or Tamil page then had no
    /// script. At 10 it named the script of every two-line sample in the corpus; a turn still needs RotateConfidence.
    /// </summary>
    private const string OsdMinCharacters = "10";

    internal sealed record Orientation(int Rotate, double Confidence, string? Script);

    /// <summary>tesseract --psm 0; null when it cannot tell (too few characters) or fails.</summary>
    private async Task<Orientation?> DetectOrientationAsync(string image, CancellationToken cancellationToken)
    {
        var run = await ToolProcess.RunAsync(_options.TesseractPath, [image, "-", .. TessdataArguments(), "--psm", "0", "-c", "min_characters_to_try=" + OsdMinCharacters], Timeout, cancellationToken);
        return run.ExitCode == 0 ? ParseOsd(run.Stdout) : null;
    }

    internal static Orientation? ParseOsd(string osd)
    {
        if (RotateLine().Match(osd) is not { Success: true } rotate) return null;
        var confidence = OrientationConfidenceLine().Match(osd) is { Success: true } c ? double.Parse(c.Groups[1].Value, CultureInfo.InvariantCulture) : 0;
        var script = ScriptLine().Match(osd) is { Success: true } s ? s.Groups[1].Value.Trim() : null;
        return new Orientation(int.Parse(rotate.Groups[1].Value, CultureInfo.InvariantCulture), confidence, script);
    }

    private Task<HashSet<string>> InstalledAsync(CancellationToken cancellationToken) => _installed ??= ListLanguagesAsync(cancellationToken);

    private async Task<HashSet<string>> ListLanguagesAsync(CancellationToken cancellationToken)
    {
        var run = await ToolProcess.RunAsync(_options.TesseractPath, [.. TessdataArguments(), "--list-langs"], Timeout, cancellationToken);
        // The first line is the header ("List of available languages in ..."); the rest are the packs.
        return run.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Skip(1).ToHashSet(StringComparer.Ordinal);
    }

    private string[] TessdataArguments() => _options.TessdataPath is { Length: > 0 } path ? ["--tessdata-dir", path] : [];

    private TimeSpan Timeout => TimeSpan.FromSeconds(_options.TimeoutSeconds);

    private async Task RunAsync(string fileName, IReadOnlyList<string> arguments, CancellationToken cancellationToken)
    {
        var run = await ToolProcess.RunAsync(fileName, arguments, Timeout, cancellationToken);
        if (run.ExitCode != 0)
        {
            LogToolFailed(logger, fileName, run.ExitCode, run.Stderr);
            throw new ToolFailedException(Path.GetFileName(fileName), run.ExitCode, ToolProcess.FirstLine(run.Stderr));
        }
    }

    [GeneratedRegex(@"^Rotate:\s*(\d+)", RegexOptions.Multiline, RegexBudget.MatchTimeoutMilliseconds)]
    private static partial Regex RotateLine();

    [GeneratedRegex(@"^Orientation confidence:\s*([\d.]+)", RegexOptions.Multiline, RegexBudget.MatchTimeoutMilliseconds)]
    private static partial Regex OrientationConfidenceLine();

    [GeneratedRegex(@"^Script:\s*(\S+)", RegexOptions.Multiline, RegexBudget.MatchTimeoutMilliseconds)]
    private static partial Regex ScriptLine();

    [LoggerMessage(Level = LogLevel.Warning, Message = "OCR tool {Tool} exited with {ExitCode}: {Errors}")]
    private static partial void LogToolFailed(ILogger logger, string tool, int exitCode, string errors);
}
