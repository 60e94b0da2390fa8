extern alias documentapi;

using System.Diagnostics;
using System.Globalization;
using Kmrl.Testing.Documents;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using DocumentKind = documentapi::Kmrl.DocumentApi.Model.DocumentKind;
using DocumentProcessingOptions = documentapi::Kmrl.DocumentApi.Extensions.DocumentProcessingOptions;
using DocumentUnreadableException = documentapi::Kmrl.DocumentApi.Ports.DocumentUnreadableException;
using LanguageDetector = documentapi::Kmrl.DocumentApi.Processing.LanguageDetector;
using LibreOfficeConverter = documentapi::Kmrl.DocumentApi.Adapters.LibreOfficeConverter;
using MalayalamText = documentapi::Kmrl.DocumentApi.Processing.MalayalamText;
using OcrOptions = documentapi::Kmrl.DocumentApi.Extensions.OcrOptions;
using OfficeToolOptions = documentapi::Kmrl.DocumentApi.Extensions.OfficeToolOptions;
using PdfTextReader = documentapi::Kmrl.DocumentApi.Processing.PdfTextReader;
using PdfToolOptions = documentapi::Kmrl.DocumentApi.Extensions.PdfToolOptions;
using PopplerQpdfTools = documentapi::Kmrl.DocumentApi.Adapters.PopplerQpdfTools;
using TesseractOcrEngine = documentapi::Kmrl.DocumentApi.Adapters.TesseractOcrEngine;
using TextExtractor = documentapi::Kmrl.DocumentApi.Processing.TextExtractor;
using TextLayerQuality = documentapi::Kmrl.DocumentApi.Processing.TextLayerQuality;

namespace Kmrl.Bench.Benchmarks;

/// <summary>
/// D1 (issue 17): on the generated hard-document corpus (text PDFs, broken xref, permission-only encryption, legacy
/// Office, OpenDocument and RTF files, a
/// legacy-font Malayalam title block under an English heading (mixed) and body page, English scans upright/90°/180°/skewed, Indic scans), ours
/// (TextExtractor as ExtractTextActivity runs it, then LanguageDetector) against the field's tools as the pipeline
/// used them before: pdftotext, and for a page with under 16 letters pdftoppm + tesseract <c>-l eng+mal</c>; the
/// language by the Malayalam/Latin share it used. Text is compared with the text each case was made from.
/// </summary>
public sealed class D1DocumentUnderstanding : IBenchmark
{
    public string Id => "D1";

    public string Title => "document understanding (PDFs, scans, scripts)";

    private sealed record Case(string Name, string Path, DocumentKind Kind, string Truth, string Language, bool Scan);

    public async Task<IReadOnlyList<BenchResult>> RunAsync(BenchContext context, CancellationToken cancellationToken)
    {
        var folder = Path.Combine(context.Scratch.Path, "d1-corpus");
        Directory.CreateDirectory(folder);
        var cases = await BuildCorpusAsync(folder, context.Quick);

        var ocr = new TesseractOcrEngine(Options.Create(new OcrOptions()), NullLogger<TesseractOcrEngine>.Instance);
        var options = new DocumentProcessingOptions();
        var extractor = new TextExtractor(ocr, new PdfTextReader(ocr, new PopplerQpdfTools(Options.Create(new PdfToolOptions()), NullLogger<PopplerQpdfTools>.Instance), options), options,
            new LibreOfficeConverter(Options.Create(new OfficeToolOptions()), NullLogger<LibreOfficeConverter>.Instance));

        int popplerRead = 0, weRead = 0, ourOcrPages = 0, theirOcrPages = 0;
        double ourOcrSeconds = 0, theirOcrSeconds = 0;
        var ourOverlap = new List<double>();
        var theirOverlap = new List<double>();
        var ourLanguage = new Dictionary<string, (int Right, int All)>();
        var theirLanguage = new Dictionary<string, (int Right, int All)>();
        foreach (var item in cases)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var clock = Stopwatch.StartNew();
            string ours;
            try
            {
                var extracted = await extractor.ExtractAsync(item.Path, item.Kind, cancellationToken);
                ours = MalayalamText.Normalise(string.Join('\n', extracted.Pages));
                if (extracted.OcrPages.Count > 0)
                {
                    ourOcrPages += extracted.OcrPages.Count;
                    ourOcrSeconds += clock.Elapsed.TotalSeconds;
                }
            }
            catch (DocumentUnreadableException)
            {
                ours = string.Empty;
            }

            clock.Restart();
            var (theirs, readable, ocrd) = await BaselineAsync(item, cancellationToken);
            if (ocrd)
            {
                theirOcrPages++;
                theirOcrSeconds += clock.Elapsed.TotalSeconds;
            }
            if (readable)
            {
                popplerRead++;
                if (ours.Trim().Length > 0) weRead++;
            }
            ourOverlap.Add(Overlap(item.Truth, ours));
            theirOverlap.Add(Overlap(item.Truth, theirs));
            Tally(ourLanguage, item.Language, LanguageDetector.Detect(ours).Language == item.Language);
            Tally(theirLanguage, item.Language, BaselineLanguage(theirs) == item.Language);
            context.Log.WriteLine(string.Create(CultureInfo.InvariantCulture, $"   {item.Name}: overlap ours {ourOverlap[^1]:P0}, baseline {theirOverlap[^1]:P0}"));
        }

        var rows = new List<BenchResult>
        {
            Row("documents poppler or LibreOffice reads that we read", Share(weRead, popplerRead), 1.0, $"{weRead}/{popplerRead}", $"{popplerRead}/{popplerRead} (poppler, LibreOffice)", "= 100 %", weRead == popplerRead,
                notes: string.Create(CultureInfo.InvariantCulture, $"{cases.Count} documents: {string.Join(", ", cases.Select(c => c.Name))}. Word overlap is with the text each case was made from; the legacy-font pages are set by LibreOffice as a typesetter sets them, the Malayalam font's ToUnicode map removed (the earlier unshaped PdfPig drawing showed wrong letters and was retired).")),
            Row("median word overlap with the source text", Median(ourOverlap), Median(theirOverlap), null, null, "≥ 99 %", Median(ourOverlap) >= 0.99),
            Row("documents under 80 % overlap", Share(ourOverlap.Count(o => o < 0.8), cases.Count), Share(theirOverlap.Count(o => o < 0.8), cases.Count),
                null, null, "< 3 %", Share(ourOverlap.Count(o => o < 0.8), cases.Count) < 0.03, lowerIsBetter: true),
        };
        foreach (var (language, (right, all)) in ourLanguage.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            var (theirRight, _) = theirLanguage[language];
            rows.Add(Row($"language accuracy, {language} ({all} documents)", Share(right, all), Share(theirRight, all), null, null, "= 100 %", right == all));
        }
        var ourRate = ourOcrSeconds > 0 ? ourOcrPages / ourOcrSeconds : 0;
        var theirRate = theirOcrSeconds > 0 ? theirOcrPages / theirOcrSeconds : 0;
        rows.Add(new BenchResult(Id, "OCR pages/s (one page at a time)",
            string.Create(CultureInfo.InvariantCulture, $"{ourRate:F2} pages/s ({ourOcrPages} pages)"),
            string.Create(CultureInfo.InvariantCulture, $"{theirRate:F2} pages/s ({theirOcrPages} pages)"),
            theirRate > 0 ? (ourRate / theirRate).ToString("F2", CultureInfo.InvariantCulture) : "n/a", "informative", null,
            "Ours runs OSD (orientation and script), a quarter-size deskew measurement, a turn when needed and OCR with the script's pack; the baseline one tesseract eng+mal pass. Measured under whatever else runs on the machine."));
        return rows;

        BenchResult Row(string measure, double ours, double baseline, string? oursText, string? baselineText, string target, bool met, bool lowerIsBetter = false, string notes = "")
        {
            var ratio = lowerIsBetter ? (ours == 0 ? "0.00" : baseline == 0 ? "n/a" : (ours / baseline).ToString("F2", CultureInfo.InvariantCulture))
                : baseline == 0 ? "n/a" : (ours / baseline).ToString("F2", CultureInfo.InvariantCulture);
            return new BenchResult(Id, measure,
                oursText ?? ours.ToString("P1", CultureInfo.InvariantCulture),
                baselineText ?? baseline.ToString("P1", CultureInfo.InvariantCulture),
                ratio, target, met, notes);
        }
    }

    private static async Task<List<Case>> BuildCorpusAsync(string folder, bool quick)
    {
        var cases = new List<Case>();
        async Task AddAsync(string name, byte[] bytes, DocumentKind kind, string truth, string language, bool scan)
        {
            var path = Path.Combine(folder, name);
            await File.WriteAllBytesAsync(path, bytes);
            cases.Add(new Case(name, path, kind, truth, language, scan));
        }

        var random = new Random(17);
        string[] words = ["inspection", "escalator", "maintenance", "Aluva", "Edappally", "Kaloor", "Vyttila", "train", "bogie", "brake", "invoice", "vendor", "safety", "circular", "platform", "depot"];
        for (var i = 0; i < (quick ? 3 : 20); i++)
        {
            var text = string.Join('\n', Enumerable.Range(0, 12).Select(_ => string.Join(' ', Enumerable.Range(0, 8).Select(_ => words[random.Next(words.Length)]))));
            await AddAsync($"text-{i:D2}.pdf", TestCorpus.TextPdf(text), DocumentKind.Pdf, text, "en", false);
        }
        const string xref = "Work order WO-7781 for the Kaloor lift";
        await AddAsync("broken-xref.pdf", PdfCases.BrokenXref(xref), DocumentKind.Pdf, xref, "en", false);
        const string permission = "Government circular on metro fares";
        await AddAsync("permission-only.pdf", PdfCases.PermissionOnlyEncrypted(permission), DocumentKind.Pdf, permission, "en", false);
        string[] malayalam = ["കൊച്ചി മെട്രോ റെയിൽ ലിമിറ്റഡ്", "ബോർഡ് യോഗം ആലുവ ഡിപ്പോ ടെണ്ടർ"];
        // Set shaped by LibreOffice (HarfBuzz) as a real legacy-font circular is, the Malayalam font's ToUnicode removed:
        // a title block (English heading, 20 pt Malayalam) and a body page (12 pt Malayalam only).
        const string heading = "Circular No 42 of 2026 from the KMRL office";
        await AddAsync("legacy-font-ml.pdf", await LegacyFontCases.ShapedLegacyFontMalayalamPdfAsync(heading, malayalam),
            DocumentKind.Pdf, heading + "\n" + string.Join('\n', malayalam), "mixed", false);
        string[] body = [.. malayalam, "ആലുവ ഡിപ്പോയുടെ ടെണ്ടർ മാർച്ച് പന്ത്രണ്ടിന്", "എല്ലാ സ്റ്റേഷൻ കൺട്രോളർമാരും ശ്രദ്ധിക്കുക"];
        await AddAsync("legacy-font-ml-body.pdf", await LegacyFontCases.ShapedLegacyFontMalayalamPdfAsync(null, 12, body),
            DocumentKind.Pdf, string.Join('\n', body), "ml", false);

        // Formats LibreOffice reads (legacy Office, OpenDocument, RTF): saved by LibreOffice from OOXML sources.
        string[] wordLines = ["Tender notice for the Aluva depot", "Closing date fifteen December", "Bids go to the Muttom yard office"];
        var office = await OfficeCases.ConvertAsync(TestCorpus.Docx(wordLines),
            TestCorpus.Xlsx("Stock", ["Item", "Quantity"], ["Brake pad", "40"], ["Wheel bearing", "12"]), TestCorpus.Pptx("Board review", "Ridership up twelve percent"));
        var word = string.Join('\n', wordLines);
        const string sheet = "Item Quantity\nBrake pad 40\nWheel bearing 12";
        const string slides = "Board review\nRidership up twelve percent";
        foreach (var (extension, kind, truth) in (IEnumerable<(string, DocumentKind, string)>)[("doc", DocumentKind.LegacyOffice, word), ("odt", DocumentKind.Odt, word),
            ("xls", DocumentKind.LegacyOffice, sheet), ("ods", DocumentKind.Ods, sheet), ("ppt", DocumentKind.LegacyOffice, slides), ("odp", DocumentKind.Odp, slides)])
        {
            await AddAsync($"office.{extension}", office[extension], kind, truth, "en", false);
        }
        await AddAsync("office.rtf", OfficeCases.Rtf(wordLines), DocumentKind.Rtf, word, "en", false);

        const string notice = "KOCHI METRO RAIL LIMITED\nNotice to all station controllers\nThe fire alarm panels at Aluva, Kalamassery and Vyttila\nmust be checked every morning before the first train.\nReport faults to the operations control centre.";
        foreach (var degrees in quick ? [90, 180] : new[] { 0, 90, 180, 6 })
        {
            await AddAsync($"scan-en-{degrees}.pdf", await ScanCases.TurnedScanPdfAsync(notice, "Noto Sans", degrees), DocumentKind.Pdf, notice, "en", true);
        }
        foreach (var language in quick ? ["hi", "ta"] : new[] { "hi", "ta", "ml", "kn", "te", "bn" })
        {
            var (font, text) = ScanCases.ScriptSamples[language];
            var page = string.Join('\n', Enumerable.Repeat(text, 3));
            await AddAsync($"scan-{language}.png", await ScanCases.TurnedScanPngAsync(page, font, 0), DocumentKind.Png, page, language, true);
        }
        return cases;
    }

    /// <summary>
    /// The tools as the pipeline used them before: pdftotext; pdftoppm + tesseract eng+mal under 16 letters. An
    /// Office, OpenDocument or RTF file is LibreOffice's to read: printed to PDF by it, then pdftotext.
    /// </summary>
    private static async Task<(string Text, bool Readable, bool Ocrd)> BaselineAsync(Case item, CancellationToken cancellationToken)
    {
        if (item.Kind is DocumentKind.LegacyOffice or DocumentKind.Rtf or DocumentKind.Odt or DocumentKind.Ods or DocumentKind.Odp)
        {
            var output = item.Path + ".libreoffice";
            var profile = new Uri(Path.Combine(output, "profile")).AbsoluteUri;
            await RunAsync("soffice", ["--headless", "--norestore", "--nolockcheck", $"-env:UserInstallation={profile}", "--convert-to", "pdf", "--outdir", output, item.Path], cancellationToken);
            var printed = Path.Combine(output, Path.GetFileNameWithoutExtension(item.Path) + ".pdf");
            if (!File.Exists(printed)) return ("", false, false);
            var read = await RunAsync("pdftotext", ["-enc", "UTF-8", printed, "-"], cancellationToken);
            return (read.Stdout, read.ExitCode == 0 && read.Stdout.Trim().Length > 0, false);
        }
        if (item.Kind == DocumentKind.Png)
        {
            var run = await RunAsync("tesseract", [item.Path, "-", "-l", "eng+mal"], cancellationToken);
            return (MalayalamText.Normalise(run.Stdout), run.ExitCode == 0, true);
        }
        var text = await RunAsync("pdftotext", ["-enc", "UTF-8", item.Path, "-"], cancellationToken);
        if (text.ExitCode != 0) return ("", false, false);
        if (text.Stdout.Count(char.IsLetter) >= 16) return (text.Stdout, true, false);
        var image = item.Path + ".baseline";
        await RunAsync("pdftoppm", ["-r", "300", "-gray", "-png", "-singlefile", item.Path, image], cancellationToken);
        var ocr = await RunAsync("tesseract", [image + ".png", "-", "-l", "eng+mal"], cancellationToken);
        return (MalayalamText.Normalise(ocr.Stdout), true, true);
    }

    /// <summary>The language rule the pipeline had: Malayalam-block letters against Latin, 80 % either way.</summary>
    private static string BaselineLanguage(string text)
    {
        long malayalam = text.Count(c => c is >= '\u0D00' and <= '\u0D7F');
        long latin = text.Count(c => c is >= 'A' and <= 'Z' or >= 'a' and <= 'z');
        if (malayalam + latin < 3) return "und";
        var share = (double)malayalam / (malayalam + latin);
        return share >= 0.8 ? "ml" : share <= 0.2 ? "en" : "mixed";
    }

    private static double Overlap(string truth, string text)
    {
        var found = TextLayerQuality.Words(MalayalamText.Normalise(text)).ToHashSet(StringComparer.Ordinal);
        var expected = TextLayerQuality.Words(MalayalamText.Normalise(truth));
        return expected.Count == 0 ? 1 : (double)expected.Count(found.Contains) / expected.Count;
    }

    private static void Tally(Dictionary<string, (int Right, int All)> tally, string language, bool right)
    {
        var (r, a) = tally.GetValueOrDefault(language);
        tally[language] = (r + (right ? 1 : 0), a + 1);
    }

    private static double Share(int part, int whole) => whole == 0 ? 0 : (double)part / whole;

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count == 0 ? 0 : sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
    }

    private static async Task<(int ExitCode, string Stdout)> RunAsync(string tool, string[] arguments, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(tool) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, StandardOutputEncoding = System.Text.Encoding.UTF8 };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        start.Environment["OMP_THREAD_LIMIT"] = "1";
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{tool} did not start.");
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        await stderr;
        return (process.ExitCode, await stdout);
    }
}
