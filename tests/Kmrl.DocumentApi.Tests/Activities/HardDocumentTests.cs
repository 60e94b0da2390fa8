using System.Diagnostics;
using System.IO.Compression;
using Kmrl.DocumentApi.Activities;
using Kmrl.DocumentApi.Extensions;
using Kmrl.DocumentApi.Ports;
using Kmrl.DocumentApi.Processing;
using Microsoft.Extensions.Options;
using UglyToad.PdfPig;

namespace Kmrl.DocumentApi.Tests.Activities;

/// <summary>
/// The classes of real documents that used to be lost or retried (issue 17): each generated case with the text or the
/// named rejection it must end in. Without poppler or qpdf (tool paths naming no file) a document is still read or
/// rejected with what is missing, never retried.
/// </summary>
public sealed class HardDocumentTests
{
    private readonly (Kmrl.ClaimCheck.IDocumentContentStore Store, InMemoryBlobStorage Storage) _blobs = InMemoryBlobStorage.NewStore();

    private static readonly PdfToolOptions NoTools = new()
    {
        PdftotextPath = "/nonexistent/pdftotext",
        PdfinfoPath = "/nonexistent/pdfinfo",
        QpdfPath = "/nonexistent/qpdf",
    };

    private static readonly PdfToolOptions PopplerWithoutQpdf = new() { QpdfPath = "/nonexistent/qpdf" };

    private async Task<(ExtractionResult Result, IReadOnlyList<string> Pages)> ExtractAsync(
        byte[] bytes, string fileName, DocumentKind kind, IOcrEngine? ocr = null, PdfToolOptions? tools = null)
    {
        var intake = await Intakes.StoreAsync(_blobs.Store, bytes, fileName, "application/octet-stream");
        var extractor = ExtractTextActivityTests.Extractor(ocr ?? new ScriptedOcrEngine(""), new DocumentProcessingOptions(), ExtractTextActivityTests.RealPdfTools(tools));
        var result = await new ExtractTextActivity(_blobs.Store, extractor, ExtractTextActivityTests.CpuSlots, TimeProvider.System, Options.Create(new DocumentProcessingOptions())).RunAsync(new TestActivityContext(intake.DocumentId), new ExtractInput(intake, kind));
        var text = await TextBlobs.ReadAsync(_blobs.Store, result.Text, CancellationToken.None);
        return (result, ExtractedText.SplitPages(text));
    }

    [Fact]
    public async Task The_broken_xref_case_is_one_pdfpig_cannot_parse_and_pdftotext_reads()
    {
        var pdf = PdfCases.BrokenXref("Work order WO-7781 for the Kaloor lift");

        Assert.ThrowsAny<Exception>(() =>
        {
            using var document = PdfDocument.Open(pdf);
            _ = document.GetPages().ToList();
        });
        Assert.Contains("WO-7781", await PdftotextAsync(pdf));
    }

    [Fact]
    public async Task A_pdf_with_a_broken_xref_is_read_by_poppler_instead_of_being_rejected()
    {
        var (result, pages) = await ExtractAsync(PdfCases.BrokenXref("Work order WO-7781 for the Kaloor lift"), "wo.pdf", DocumentKind.Pdf);

        Assert.Equal(ExtractionOutcome.Extracted, result.Outcome);
        Assert.Equal("poppler", result.Extractor);
        Assert.Equal(1, result.PageCount);
        Assert.Equal("Work order WO-7781 for the Kaloor lift", Assert.Single(pages));
    }

    [Fact]
    public async Task A_pdf_neither_pdfpig_nor_poppler_can_parse_is_rejected_as_corrupt_pdf_not_thrown()
    {
        var (result, pages) = await ExtractAsync(PdfCases.Truncated("Cut off in transfer"), "cut.pdf", DocumentKind.Pdf);

        Assert.Equal(ExtractionOutcome.Rejected, result.Outcome);
        Assert.Equal(RejectionReasons.CorruptPdf, result.RejectionReason);
        Assert.Equal("Neither PdfPig nor poppler could parse the PDF.", result.RejectionDetail);
        Assert.Null(result.Text);
        Assert.Empty(pages);
    }

    [Fact]
    public async Task Without_poppler_a_pdf_pdfpig_cannot_parse_is_rejected_naming_the_missing_tool()
    {
        var (result, _) = await ExtractAsync(PdfCases.BrokenXref("Work order WO-7781"), "wo.pdf", DocumentKind.Pdf, tools: NoTools);

        Assert.Equal(ExtractionOutcome.Rejected, result.Outcome);
        Assert.Equal(RejectionReasons.ToolMissing, result.RejectionReason);
        Assert.Contains("pdfinfo is not installed (Debian poppler-utils)", result.RejectionDetail);
    }

    [Fact]
    public async Task A_permission_only_encrypted_pdf_is_read_without_a_password()
    {
        var (result, pages) = await ExtractAsync(PdfCases.PermissionOnlyEncrypted("Circular No. 12/2026 on fare revision"), "circular.pdf", DocumentKind.Pdf);

        Assert.Equal(ExtractionOutcome.Extracted, result.Outcome);
        Assert.Equal("Circular No. 12/2026 on fare revision", Assert.Single(pages));
    }

    [Fact]
    public async Task A_pdf_needing_a_user_password_stays_encrypted_pdf_and_is_not_retried()
    {
        var (result, _) = await ExtractAsync(PdfCases.PasswordEncrypted("Sealed tender"), "tender.pdf", DocumentKind.Pdf);

        Assert.Equal(ExtractionOutcome.Rejected, result.Outcome);
        Assert.Equal(RejectionReasons.EncryptedPdf, result.RejectionReason);
    }

    [Fact]
    public async Task Without_qpdf_poppler_still_tells_a_pdf_needing_a_password()
    {
        var (result, _) = await ExtractAsync(PdfCases.PasswordEncrypted("Sealed tender"), "tender.pdf", DocumentKind.Pdf, tools: PopplerWithoutQpdf);

        Assert.Equal(RejectionReasons.EncryptedPdf, result.RejectionReason);
        Assert.Equal("The PDF needs a user password to open.", result.RejectionDetail);
    }

    [Fact]
    public async Task Control_characters_are_stripped_and_a_form_feed_in_a_page_is_no_page_break()
    {
        var (result, pages) = await ExtractAsync(PdfCases.ControlCharacters(), "legacy-font.pdf", DocumentKind.Pdf);

        Assert.Equal(1, result.PageCount);
        var page = Assert.Single(pages);
        Assert.Equal("Section one\nSection two ends here", page);
        Assert.DoesNotContain(page, c => c < ' ' && c is not ('\t' or '\n'));
    }

    [Fact]
    public async Task A_page_whose_ocr_fails_is_recorded_as_failed_and_the_other_pages_are_kept()
    {
        var ocr = new FailingPageOcr(failPage: 2, text: "Recognised page three");
        var pdf = TestCorpus.TextPdf("Cover page of the maintenance report with its text layer", "", "");

        var (result, pages) = await ExtractAsync(pdf, "report.pdf", DocumentKind.Pdf, ocr);

        Assert.Equal(ExtractionOutcome.Extracted, result.Outcome);
        Assert.Equal([2], result.FailedPages);
        Assert.Equal([3], result.OcrPages);
        Assert.Equal(3, pages.Count);
        Assert.Contains("maintenance report", pages[0]);
        Assert.Equal("Recognised page three", pages[2]);
    }

    [Fact]
    public async Task Without_tesseract_a_scanned_pdf_is_still_catalogued_with_its_page_marked_failed()
    {
        var tiff = await TestCorpus.RenderScanTiffAsync("SAFETY CIRCULAR", "Noto Sans");
        var noTesseract = new Kmrl.DocumentApi.Adapters.TesseractOcrEngine(
            Microsoft.Extensions.Options.Options.Create(new OcrOptions { TesseractPath = "/nonexistent/tesseract" }),
            Microsoft.Extensions.Logging.Abstractions.NullLogger<Kmrl.DocumentApi.Adapters.TesseractOcrEngine>.Instance);

        var (result, pages) = await ExtractAsync(TestCorpus.ScannedPdf(tiff), "scan.pdf", DocumentKind.Pdf, noTesseract);

        Assert.Equal(ExtractionOutcome.Extracted, result.Outcome);
        Assert.Equal([1], result.FailedPages);
        Assert.Empty(result.OcrPages);
        Assert.Equal(1, result.PageCount);
    }

    [Fact]
    public async Task A_word_package_with_a_dtd_is_rejected_as_corrupt_ooxml_at_once()
    {
        var (result, _) = await ExtractAsync(DocxWithDtd(), "note.docx", DocumentKind.Docx);

        Assert.Equal(ExtractionOutcome.Rejected, result.Outcome);
        Assert.Equal(RejectionReasons.CorruptOoxml, result.RejectionReason);
        Assert.Equal("The Open XML SDK could not read the Word package.", result.RejectionDetail);
    }

    [Fact]
    public async Task An_image_tesseract_cannot_read_is_rejected_as_unreadable_image()
    {
        byte[] png = [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A, .. new byte[512]];

        var (result, _) = await ExtractAsync(png, "photo.png", DocumentKind.Png, ExtractTextActivityTests.RealOcr());

        Assert.Equal(ExtractionOutcome.Rejected, result.Outcome);
        Assert.Equal(RejectionReasons.UnreadableImage, result.RejectionReason);
        Assert.StartsWith("tesseract could not read the image", result.RejectionDetail);
    }

    /// <summary>A .docx whose main part declares a DTD, which the Open XML SDK refuses (as it should: XXE).</summary>
    private static byte[] DocxWithDtd()
    {
        var good = TestCorpus.Docx("A note");
        using var memory = new MemoryStream();
        memory.Write(good);
        using (var zip = new ZipArchive(memory, ZipArchiveMode.Update, leaveOpen: true))
        {
            zip.GetEntry("word/document.xml")!.Delete();
            using var writer = new StreamWriter(zip.CreateEntry("word/document.xml").Open());
            writer.Write("<?xml version=\"1.0\"?><!DOCTYPE w:document [<!ENTITY x \"y\">]>"
                + "<w:document xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\"><w:body><w:p><w:r><w:t>&x;</w:t></w:r></w:p></w:body></w:document>");
        }
        return memory.ToArray();
    }

    private static async Task<string> PdftotextAsync(byte[] pdf)
    {
        var path = Path.GetTempFileName();
        try
        {
            await File.WriteAllBytesAsync(path, pdf);
            var start = new ProcessStartInfo("pdftotext") { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var argument in (string[])[path, "-"]) start.ArgumentList.Add(argument);
            using var process = Process.Start(start)!;
            var stdout = process.StandardOutput.ReadToEndAsync();
            await process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync();
            return await stdout;
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>OCR where one page's pdftoppm/tesseract run fails, as a real tool does on a page it cannot render.</summary>
    private sealed class FailingPageOcr(int failPage, string text) : IOcrEngine
    {
        public Task<string> RecogniseImageAsync(string imagePath, CancellationToken cancellationToken) => Task.FromResult(text);

        public Task<string> RecognisePdfPageAsync(string pdfPath, int pageNumber, CancellationToken cancellationToken) =>
            pageNumber == failPage
                ? throw new ToolFailedException("pdftoppm", 1, "Syntax Error: page damaged")
                : Task.FromResult(text);
    }
}
