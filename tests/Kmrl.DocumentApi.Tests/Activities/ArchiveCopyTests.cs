using System.Diagnostics;
using System.Text;
using Kmrl.DocumentApi.Adapters;
using Kmrl.DocumentApi.Extensions;
using Kmrl.DocumentApi.Ports;
using Kmrl.DocumentApi.Processing;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Kmrl.DocumentApi.Tests.Activities;

/// <summary>
/// The searchable PDF/A copy of a scan, made by the real OCRmyPDF (Debian <c>ocrmypdf</c>, installed by build.sh)
/// and stored beside the original; a machine without it catalogues the scan all the same and says so.
/// </summary>
public sealed class ArchiveCopyTests
{
    private readonly (Kmrl.ClaimCheck.IDocumentContentStore Store, InMemoryBlobStorage Storage) _blobs = InMemoryBlobStorage.NewStore();

    private ScanArchive Archive(ArchiveOptions? options = null)
    {
        var archive = Options.Create(options ?? new ArchiveOptions());
        var ocr = Options.Create(new OcrOptions());
        var writer = new OcrMyPdfWriter(archive, ocr, Options.Create(new ExtractionIsolationOptions { Enabled = false }), NullLogger<OcrMyPdfWriter>.Instance);
        return new ScanArchive(writer, _blobs.Store, archive, ocr, ExtractTextActivityTests.RealPdfTools());
    }

    private string _documentId = string.Empty;

    private async Task<(ExtractionResult Result, string Text)> ExtractAsync(byte[] bytes, string fileName, DocumentKind kind, ScanArchive archive)
    {
        var (result, pages, documentId) = await Extraction.RunAsync(_blobs.Store, bytes, fileName, "application/octet-stream", kind,
            ExtractTextActivityTests.Extractor(ExtractTextActivityTests.RealOcr(), new DocumentProcessingOptions()), archive: archive);
        _documentId = documentId;
        return (result, string.Join(ExtractedText.PageSeparator, pages));
    }

    private const string Notice = "KOCHI METRO RAIL LIMITED\nNotice to all station controllers\nThe fire alarm panels at Aluva and Vyttila\nmust be checked every morning before the first train.";

    [Fact]
    public async Task A_scanned_image_gets_a_searchable_pdfa_copy_stored_beside_its_original()
    {
        var png = await ScanCases.TurnedScanPngAsync(Notice, "Noto Sans", 0, 2000, 700);

        var (result, text) = await ExtractAsync(png, "notice.png", DocumentKind.Png, Archive());

        Assert.Contains("Vyttila", text);
        var archive = Assert.IsType<ArchiveCopy>(result.Archive);
        Assert.Equal(ArchiveStatuses.Stored, archive.Status);
        Assert.NotNull(archive.Blob);
        Assert.Equal(ScanArchive.KeyFor(_documentId), archive.Blob.Key);
        var pdf = await ReadAsync(archive.Blob);
        Assert.StartsWith("%PDF-", Encoding.Latin1.GetString(pdf, 0, 5));
        // PDF/A declares itself in its XMP metadata (pdfaid:part), which OCRmyPDF writes once Ghostscript converted it.
        Assert.Contains("pdfaid:part", Encoding.Latin1.GetString(pdf));
        // Searchable: the invisible OCR layer carries the scan's words.
        var layer = await PdfToTextAsync(pdf);
        Assert.Contains("fire alarm panels", layer);
        Assert.Contains("Vyttila", layer);
    }

    [Fact]
    public async Task Without_ocrmypdf_a_scan_is_catalogued_with_its_text_and_marked_tool_missing()
    {
        var png = await ScanCases.TurnedScanPngAsync(Notice, "Noto Sans", 0, 2000, 700);

        var (result, text) = await ExtractAsync(png, "notice.png", DocumentKind.Png, Archive(new ArchiveOptions { OcrmypdfPath = "/nonexistent/ocrmypdf" }));

        Assert.Equal(ExtractionOutcome.Extracted, result.Outcome);
        Assert.Contains("Vyttila", text);
        Assert.Equal(new ArchiveCopy(null, ArchiveStatuses.ToolMissing), result.Archive);
        Assert.DoesNotContain(_blobs.Storage.Objects.Keys, k => k.StartsWith("archive-", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_pdf_with_a_real_text_layer_is_no_scan_and_gets_no_archive_copy()
    {
        // The tool's path names no file: had the archive been attempted, the record would say tool-missing.
        var (result, _) = await ExtractAsync(TestCorpus.TextPdf("Tender notice for the Aluva depot, closing twelve March"), "tender.pdf", DocumentKind.Pdf,
            Archive(new ArchiveOptions { OcrmypdfPath = "/nonexistent/ocrmypdf" }));

        Assert.Null(result.Archive);
    }

    [Fact]
    public void A_replaced_text_layer_is_archived_by_forced_ocr_a_stamped_scan_by_redo_ocr_and_a_plain_scan_by_skip_text()
    {
        static ExtractedText With(params PageSource[] sources) =>
            new(ExtractionOutcome.Extracted, "pdfpig+ocr", sources.Select(_ => "text").ToList(), [1], new Dictionary<string, string>(), null, sources);

        Assert.Equal(ArchiveOcrMode.ForceOcr, ScanArchive.ModeOf(With(
            new PageSource(1, PageSources.Ocr, "broken text layer: 40 % control or private-use characters"), new PageSource(2, PageSources.Ocr, TextLayerQuality.NoTextLayer))));
        Assert.Equal(ArchiveOcrMode.RedoOcr, ScanArchive.ModeOf(With(
            new PageSource(1, PageSources.Both, "short text layer (9 letters and digits): OCR adds to it"), new PageSource(2, PageSources.TextLayer, "text layer"))));
        Assert.Equal(ArchiveOcrMode.SkipText, ScanArchive.ModeOf(With(
            new PageSource(1, PageSources.Ocr, TextLayerQuality.NoTextLayer), new PageSource(2, PageSources.TextLayer, "text layer"))));
    }

    [Fact]
    public void The_archive_is_read_with_every_language_our_ocr_chose_for_a_page()
    {
        var extracted = new ExtractedText(ExtractionOutcome.Extracted, "ocr", ["a", "b", "c"], [1, 2, 3], new Dictionary<string, string>(), null,
        [
            new PageSource(1, PageSources.Ocr, TextLayerQuality.NoTextLayer, OcrLanguages: "eng"),
            new PageSource(2, PageSources.Ocr, TextLayerQuality.NoTextLayer, OcrLanguages: "mal+eng"),
            new PageSource(3, PageSources.Ocr, TextLayerQuality.NoTextLayer, OcrLanguages: "hin+eng"),
        ]);

        Assert.Equal("eng+mal+hin", Archive().LanguagesOf(extracted));
    }

    private async Task<byte[]> ReadAsync(Kmrl.Contracts.BlobReference blob)
    {
        await using var stream = await _blobs.Store.OpenReadAsync(blob, CancellationToken.None);
        using var copy = new MemoryStream();
        await stream.CopyToAsync(copy);
        return copy.ToArray();
    }

    private static async Task<string> PdfToTextAsync(byte[] pdf)
    {
        var path = Path.Combine(Path.GetTempPath(), $"kmrl-archive-test-{Guid.NewGuid():N}.pdf");
        await File.WriteAllBytesAsync(path, pdf);
        try
        {
            using var process = Process.Start(new ProcessStartInfo("pdftotext", ["-enc", "UTF-8", path, "-"]) { RedirectStandardOutput = true })!;
            var text = await process.StandardOutput.ReadToEndAsync();
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
            return text;
        }
        finally
        {
            File.Delete(path);
        }
    }
}
