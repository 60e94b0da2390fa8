extern alias documentapi;

using System.Diagnostics;
using System.Globalization;
using Kmrl.Testing.Documents;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using DocumentKind = documentapi::Kmrl.DocumentApi.Model.DocumentKind;
using DocumentProcessingOptions = documentapi::Kmrl.DocumentApi.Extensions.DocumentProcessingOptions;
using MalayalamText = documentapi::Kmrl.DocumentApi.Processing.MalayalamText;
using OcrOptions = documentapi::Kmrl.DocumentApi.Extensions.OcrOptions;
using TesseractOcrEngine = documentapi::Kmrl.DocumentApi.Adapters.TesseractOcrEngine;
using PdfTextReader = documentapi::Kmrl.DocumentApi.Processing.PdfTextReader;
using PdfToolOptions = documentapi::Kmrl.DocumentApi.Extensions.PdfToolOptions;
using PopplerQpdfTools = documentapi::Kmrl.DocumentApi.Adapters.PopplerQpdfTools;
using TextExtractor = documentapi::Kmrl.DocumentApi.Processing.TextExtractor;

namespace Kmrl.Bench.Benchmarks;

/// <summary>
/// P5: pages per second of the Document API's own PDF text extraction (TextExtractor, as ExtractTextActivity calls
/// it) against pdftotext (poppler-utils), one process per file as a shell loop would run it, on the same corpus.
/// </summary>
public sealed class P5TextExtraction : IBenchmark
{
    private const int PagesPerFile = 5;
    private const int LinesPerPage = 40;
    private const double MinimumWordAgreement = 0.95;

    private static readonly string[] Words =
    [
        "inspection", "escalator", "maintenance", "Aluva", "Edappally", "Kaloor", "Vyttila", "train", "bogie", "brake",
        "overhaul", "invoice", "vendor", "safety", "circular", "platform", "signalling", "depot", "Muttom", "traction",
        "substation", "report", "incident", "staff", "schedule", "inventory", "spares", "wheel", "axle", "tender",
        "approval", "board", "minutes", "drawing", "revision", "track", "viaduct", "station", "power", "2026",
    ];

    public string Id => "P5";

    public string Title => "text extraction";

    public async Task<IReadOnlyList<BenchResult>> RunAsync(BenchContext context, CancellationToken cancellationToken)
    {
        var fileCount = context.Scale(200, 40);
        var corpus = Path.Combine(context.Scratch.Path, "p5-corpus");
        Directory.CreateDirectory(corpus);
        var files = GenerateCorpus(corpus, fileCount);
        var extractor = CreateExtractor();

        // Warm-up outside the clocks: the JIT for ours, the binary and its libraries in the page cache for pdftotext.
        foreach (var file in files.Take(3))
        {
            await ExtractOursAsync(extractor, file, cancellationToken);
            await RunPdftotextAsync(file, file + ".warm.txt", cancellationToken);
        }

        var ourText = new List<string>(files.Count);
        var ourPages = 0;
        var ourClock = Stopwatch.StartNew();
        foreach (var file in files)
        {
            var (text, pages) = await ExtractOursAsync(extractor, file, cancellationToken);
            ourText.Add(text);
            ourPages += pages;
        }
        var ourSeconds = ourClock.Elapsed.TotalSeconds;

        var theirText = new List<string>(files.Count);
        var theirClock = Stopwatch.StartNew();
        foreach (var file in files)
        {
            await RunPdftotextAsync(file, file + ".txt", cancellationToken);
        }
        var theirSeconds = theirClock.Elapsed.TotalSeconds;
        var theirPages = 0;
        foreach (var file in files)
        {
            var text = await File.ReadAllTextAsync(file + ".txt", cancellationToken);
            theirText.Add(text);
            theirPages += text.TrimEnd('\f', '\n').Split('\f').Length; // pdftotext ends every page with a form feed
        }

        var ourWords = WordCounts(ourText);
        if (ourWords.Count == 0)
        {
            throw new InvalidOperationException("The Document API's extractor returned no text for the corpus.");
        }
        var agreement = Agreement(ourWords, WordCounts(theirText));
        if (agreement < MinimumWordAgreement)
        {
            throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture,
                $"Only {agreement:P1} of pdftotext's words were extracted by ours; the comparison would not be like with like."));
        }
        if (ourPages != theirPages || ourPages != files.Count * PagesPerFile)
        {
            throw new InvalidOperationException($"Page counts differ: ours {ourPages}, pdftotext {theirPages}, corpus {files.Count * PagesPerFile}.");
        }

        var ours = ourPages / ourSeconds;
        var theirs = theirPages / theirSeconds;
        var ratio = ours / theirs;
        return
        [
            new BenchResult(Id, string.Create(CultureInfo.InvariantCulture, $"pages/s, {files.Count} text PDFs × {PagesPerFile} pages"),
                string.Create(CultureInfo.InvariantCulture, $"{ours:F0} pages/s ({ourSeconds:F2} s total)"),
                string.Create(CultureInfo.InvariantCulture, $"{theirs:F0} pages/s ({theirSeconds:F2} s total)"),
                ratio.ToString("F2", CultureInfo.InvariantCulture), "≥ 0.5", ratio >= 0.5,
                string.Create(CultureInfo.InvariantCulture,
                    $"Ours: TextExtractor.ExtractAsync (PdfPig, per page) plus Malayalam normalisation, as ExtractTextActivity runs them, in-process, one file after another. Baseline: one pdftotext process per file, one after another, as a shell loop runs it (process start-up included). Same words: {agreement:P1} of pdftotext's words (with their counts) are in ours. Corpus: TestCorpus.TextPdf, {LinesPerPage} lines per page.")),
        ];
    }

    /// <summary>The Document API's extractor with its default settings, in this process (also P6b's single-thread reference).</summary>
    internal static TextExtractor CreateExtractor()
    {
        var ocr = new TesseractOcrEngine(Options.Create(new OcrOptions()), NullLogger<TesseractOcrEngine>.Instance);
        var pdfTools = new PopplerQpdfTools(Options.Create(new PdfToolOptions()), NullLogger<PopplerQpdfTools>.Instance);
        var options = new DocumentProcessingOptions();
        return new TextExtractor(ocr, new PdfTextReader(ocr, pdfTools, options), options);
    }

    private static List<string> GenerateCorpus(string directory, int count)
    {
        var random = new Random(5);
        var files = new List<string>(count);
        for (var i = 0; i < count; i++)
        {
            var pages = Enumerable.Range(0, PagesPerFile).Select(page => string.Join('\n', Enumerable.Range(0, LinesPerPage).Select(line =>
                line == 0
                    ? string.Create(CultureInfo.InvariantCulture, $"Report {i:D4} page {page + 1}")
                    : string.Join(' ', Enumerable.Range(0, 10).Select(_ => Words[random.Next(Words.Length)]))))).ToArray();
            var path = Path.Combine(directory, string.Create(CultureInfo.InvariantCulture, $"report-{i:D4}.pdf"));
            File.WriteAllBytes(path, TestCorpus.TextPdf(pages));
            files.Add(path);
        }
        return files;
    }

    internal static async Task<(string Text, int Pages)> ExtractOursAsync(TextExtractor extractor, string path, CancellationToken cancellationToken)
    {
        var extracted = await extractor.ExtractAsync(path, DocumentKind.Pdf, cancellationToken);
        if (extracted.OcrPages.Count > 0)
        {
            throw new InvalidOperationException($"{path} went to OCR: the corpus must be text PDFs.");
        }
        return (MalayalamText.Normalise(string.Join('\f', extracted.Pages)), extracted.Pages.Count);
    }

    private static async Task RunPdftotextAsync(string pdf, string text, CancellationToken cancellationToken)
    {
        using var process = Process.Start(new ProcessStartInfo("pdftotext", [pdf, text]) { RedirectStandardError = true, UseShellExecute = false })
            ?? throw new InvalidOperationException("pdftotext did not start (poppler-utils is needed).");
        var errors = await process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"pdftotext failed on {pdf} ({process.ExitCode}): {errors}");
        }
    }

    private static Dictionary<string, int> WordCounts(IEnumerable<string> texts)
    {
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var text in texts)
        {
            foreach (var word in text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries))
            {
                counts[word] = counts.GetValueOrDefault(word) + 1;
            }
        }
        return counts;
    }

    /// <summary>The share of the reference's words (with multiplicity) that the candidate also has.</summary>
    private static double Agreement(Dictionary<string, int> candidate, Dictionary<string, int> reference)
    {
        var total = reference.Values.Sum();
        var matched = reference.Sum(pair => Math.Min(pair.Value, candidate.GetValueOrDefault(pair.Key)));
        return total == 0 ? 0 : matched / (double)total;
    }
}
