using Kmrl.DocumentApi.Activities;
using Kmrl.DocumentApi.Adapters;
using Kmrl.DocumentApi.Extensions;
using Kmrl.DocumentApi.Pipeline;
using Kmrl.DocumentApi.Ports;
using Kmrl.DocumentApi.Processing;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Kmrl.DocumentApi.Tests.Activities;

public sealed class ExtractTextActivityTests
{
    private readonly (Kmrl.ClaimCheck.IDocumentContentStore Store, InMemoryBlobStorage Storage) _blobs = InMemoryBlobStorage.NewStore();

    private async Task<(ExtractionResult Result, IReadOnlyList<string> Pages)> ExtractAsync(byte[] bytes, string fileName, DocumentKind kind, IOcrEngine ocr)
    {
        var intake = await Intakes.StoreAsync(_blobs.Store, bytes, fileName, "application/octet-stream");
        var activity = new ExtractTextActivity(_blobs.Store, Extractor(ocr, new DocumentProcessingOptions()), CpuSlots, TimeProvider.System, Options.Create(new DocumentProcessingOptions()));
        var result = await activity.RunAsync(new TestActivityContext(intake.DocumentId), new ExtractInput(intake, kind));
        var text = await TextBlobs.ReadAsync(_blobs.Store, result.Text, CancellationToken.None);
        return (result, ExtractedText.SplitPages(text));
    }

    /// <summary>As many CPU slots as the app gives by default (one per core).</summary>
    internal static readonly CpuWorkLimiter CpuSlots = new(Options.Create(new PipelineOptions()));

    [Fact]
    public async Task An_extraction_waits_for_a_free_cpu_slot_and_runs_once_one_is_released()
    {
        var cpu = new CpuWorkLimiter(Options.Create(new PipelineOptions { MaxConcurrentCpuActivities = 1 }));
        var intake = await Intakes.StoreAsync(_blobs.Store, TestCorpus.Docx("Waiting for a core"), "w.docx", TestCorpus.DocxType);
        var activity = new ExtractTextActivity(_blobs.Store, Extractor(new ScriptedOcrEngine(""), new DocumentProcessingOptions()), cpu, TimeProvider.System, Options.Create(new DocumentProcessingOptions()));
        var release = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        var holder = cpu.RunAsync(() => release.Task, CancellationToken.None);

        var extraction = activity.RunAsync(new TestActivityContext(), new ExtractInput(intake, DocumentKind.Docx));
        var finishedWhileHeld = await Task.WhenAny(extraction, Task.Delay(TimeSpan.FromMilliseconds(300))) == extraction;
        release.SetResult(true);
        await holder;
        var result = await extraction.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.False(finishedWhileHeld);
        Assert.Equal(1, cpu.Limit);
        Assert.Equal(0, cpu.InUse);
        Assert.Equal(ExtractionOutcome.Extracted, result.Outcome);
    }

    internal static TesseractOcrEngine RealOcr() =>
        new(Options.Create(new OcrOptions()), NullLogger<TesseractOcrEngine>.Instance);

    /// <summary>poppler and qpdf as installed (build.sh), or at the paths given, which may name no file.</summary>
    internal static PopplerQpdfTools RealPdfTools(PdfToolOptions? options = null) =>
        new(Options.Create(options ?? new PdfToolOptions()), NullLogger<PopplerQpdfTools>.Instance);

    internal static TextExtractor Extractor(IOcrEngine ocr, DocumentProcessingOptions options, IPdfTools? pdfTools = null, IOfficeConverter? office = null) =>
        new(ocr, new PdfTextReader(ocr, pdfTools ?? RealPdfTools(), options), options, office ?? ConvertedFormatTests.Converter());

    [Fact]
    public async Task A_pdf_with_a_text_layer_is_read_page_by_page_without_ocr()
    {
        var ocr = new ScriptedOcrEngine("should not be used");

        var (result, pages) = await ExtractAsync(TestCorpus.TextPdf("Invoice No KMRL/INV/0042", "Amount payable Rs. 5000"), "inv.pdf", DocumentKind.Pdf, ocr);

        Assert.Equal(ExtractionOutcome.Extracted, result.Outcome);
        Assert.Equal(2, result.PageCount);
        Assert.Contains("KMRL/INV/0042", pages[0]);
        Assert.Contains("Amount payable", pages[1]);
        Assert.Empty(ocr.Calls);
        Assert.Empty(result.OcrPages);
    }

    [Fact]
    public async Task Only_the_pdf_pages_without_a_text_layer_go_to_ocr()
    {
        var ocr = new ScriptedOcrEngine("Recognised circular text from a scan");

        var (result, pages) = await ExtractAsync(TestCorpus.TextPdf("A cover page with enough text on it", ""), "mixed.pdf", DocumentKind.Pdf, ocr);

        Assert.Equal(["pdf-page-2"], ocr.Calls);
        Assert.Equal([2], result.OcrPages);
        Assert.Equal("Recognised circular text from a scan", pages[1]);
        Assert.Equal("pdfpig+ocr", result.Extractor);
    }

    [Fact]
    public async Task Word_paragraphs_are_extracted()
    {
        var (_, pages) = await ExtractAsync(TestCorpus.Docx("HR Policy on leave", "All employees shall apply in advance."), "policy.docx", DocumentKind.Docx, new ScriptedOcrEngine(""));

        Assert.Equal("HR Policy on leave\nAll employees shall apply in advance.", pages.Single().ReplaceLineEndings("\n"));
    }

    [Fact]
    public async Task Each_spreadsheet_sheet_becomes_a_page_of_tab_separated_rows()
    {
        var (_, pages) = await ExtractAsync(TestCorpus.Xlsx("Spares", ["Part", "Qty"], ["Pantograph carbon strip", "12"]), "spares.xlsx", DocumentKind.Xlsx, new ScriptedOcrEngine(""));

        var page = Assert.Single(pages);
        Assert.Contains("Spares", page);
        Assert.Contains("Pantograph carbon strip\t12", page);
    }

    [Fact]
    public async Task Each_slide_becomes_a_page()
    {
        var (result, pages) = await ExtractAsync(TestCorpus.Pptx("Board meeting agenda", "Ridership at Aluva"), "deck.pptx", DocumentKind.Pptx, new ScriptedOcrEngine(""));

        Assert.Equal(2, result.PageCount);
        Assert.Equal("Board meeting agenda", pages[0]);
        Assert.Equal("Ridership at Aluva", pages[1]);
    }

    [Fact]
    public async Task An_email_yields_subject_and_body_and_its_sender()
    {
        var eml = TestCorpus.Eml("accounts@vendors.kochimetro.org", "Tax invoice for October", "Invoice No INV-2211 for escalator maintenance.");

        var (result, pages) = await ExtractAsync(eml, "mail.eml", DocumentKind.Email, new ScriptedOcrEngine(""));

        Assert.StartsWith("Tax invoice for October", pages.Single());
        Assert.Contains("INV-2211", pages.Single());
        Assert.Equal("accounts@vendors.kochimetro.org", result.Properties[TextExtractor.PropertySender]);
    }

    [Fact]
    public async Task An_ole_file_of_no_known_office_application_is_recorded_as_having_no_extractor_not_as_a_failure()
    {
        var (result, pages) = await ExtractAsync(TestCorpus.LegacyWord(), "old.vsd", DocumentKind.LegacyOffice, new ScriptedOcrEngine(""));

        Assert.Equal(ExtractionOutcome.NoExtractor, result.Outcome);
        Assert.Equal("none", result.Extractor);
        Assert.Null(result.Text);
        Assert.Empty(pages);
    }

    [Fact]
    public async Task A_retried_extraction_overwrites_the_same_text_blob()
    {
        var intake = await Intakes.StoreAsync(_blobs.Store, TestCorpus.Docx("Same text"), "a.docx", TestCorpus.DocxType);
        var activity = new ExtractTextActivity(_blobs.Store, Extractor(new ScriptedOcrEngine(""), new DocumentProcessingOptions()), CpuSlots, TimeProvider.System, Options.Create(new DocumentProcessingOptions()));

        var first = await activity.RunAsync(new TestActivityContext(), new ExtractInput(intake, DocumentKind.Docx));
        var objects = _blobs.Storage.Objects.Count;
        var second = await activity.RunAsync(new TestActivityContext(), new ExtractInput(intake, DocumentKind.Docx));

        Assert.Equal(first.Text, second.Text);
        Assert.Equal(objects, _blobs.Storage.Objects.Count);
    }

    [Fact]
    public async Task A_scanned_english_pdf_is_read_by_tesseract()
    {
        var tiff = await TestCorpus.RenderScanTiffAsync("SAFETY CIRCULAR\nAll station controllers at Aluva and Vyttila must check the fire alarm panels daily.", "Noto Sans");

        var (result, pages) = await ExtractAsync(TestCorpus.ScannedPdf(tiff), "scan.pdf", DocumentKind.Pdf, RealOcr());

        Assert.Equal([1], result.OcrPages);
        Assert.Contains("SAFETY CIRCULAR", pages[0]);
        Assert.Contains("Vyttila", pages[0]);
    }

    [Fact]
    public async Task A_scanned_malayalam_pdf_is_read_by_tesseract_in_normalised_malayalam()
    {
        var tiff = await TestCorpus.RenderScanTiffAsync("സുരക്ഷാ സർക്കുലർ\nഎല്ലാ ജീവനക്കാരും ആലുവ സ്റ്റേഷനിൽ ജാഗ്രത പാലിക്കണം", "Noto Sans Malayalam");

        var (result, pages) = await ExtractAsync(TestCorpus.ScannedPdf(tiff), "circular.pdf", DocumentKind.Pdf, RealOcr());

        Assert.Equal([1], result.OcrPages);
        Assert.Contains("സർക്കുലർ", pages[0]);
        Assert.Contains("ആലുവ", pages[0]);
        Assert.Equal(Languages.Malayalam, LanguageDetector.Detect(pages[0]).Language);
    }

    [Fact]
    public async Task An_image_is_read_by_tesseract()
    {
        var png = await TestCorpus.RenderPngAsync("Job card 4471 for trainset TS-07 at Muttom depot");

        var (result, pages) = await ExtractAsync(png, "photo.png", DocumentKind.Png, RealOcr());

        Assert.Equal("ocr", result.Extractor);
        Assert.Contains("Muttom", pages.Single());
        Assert.Contains("TS-07", pages.Single());
    }
}
