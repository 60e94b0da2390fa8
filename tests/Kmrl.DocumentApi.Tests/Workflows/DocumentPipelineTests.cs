using Kmrl.Contracts;
using Kmrl.DocumentApi.Activities;
using Kmrl.DocumentApi.Adapters;
using Kmrl.DocumentApi.Extensions;
using Kmrl.DocumentApi.Ports;
using Kmrl.DocumentApi.Processing;
using Kmrl.DocumentApi.Tests.Activities;
using Kmrl.DocumentApi.Workflows;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Kmrl.DocumentApi.Tests.Workflows;

/// <summary>
/// The whole pipeline in process: the real workflow calling the real activities (inputs and outputs through JSON),
/// on in-memory ports, with tesseract for OCR and the shipped rules file. What the sidecar adds (durable state,
/// replay, scheduling) is not exercised here.
/// </summary>
public sealed class DocumentPipelineTests
{
    private readonly (Kmrl.ClaimCheck.IDocumentContentStore Store, InMemoryBlobStorage Storage) _blobs = InMemoryBlobStorage.NewStore();
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 27, 4, 0, 0, TimeSpan.Zero));
    private readonly RecordingEvents _events = new();
    private readonly StateStoreCatalog _catalog;
    private readonly DocumentProcessingOptions _options = new() { DeadlineHorizonDays = 14 };
    private readonly IClassificationRules _rules = ClassifyDocumentActivityTests.ShippedRules();

    private TestWorkflowContext? _context;

    public DocumentPipelineTests() => _catalog = new StateStoreCatalog(new InMemoryStateStore(), _time);

    private async Task<DocumentProcessingResult> ProcessAsync(DocumentIntake intake)
    {
        var store = _blobs.Store;
        var options = Options.Create(_options);
        var context = _context = new TestWorkflowContext(intake.DocumentId)
            .Run(new ValidateDocumentActivity(store, new ContentSniffer(_options), new PdfTextReader(ExtractTextActivityTests.RealOcr(), ExtractTextActivityTests.RealPdfTools(), _options)))
            .Run(new DeduplicateDocumentActivity(_catalog, _time))
            .Run(new ExtractTextActivity(store, ExtractTextActivityTests.Extractor(ExtractTextActivityTests.RealOcr(), _options), ExtractTextActivityTests.CpuSlots, TimeProvider.System, Options.Create(_options)))
            .Run(new DetectLanguageActivity(store))
            .Run(new ClassifyDocumentActivity(store, _rules))
            .Run(new SummariseDocumentActivity(store, options))
            .Run(new CatalogDocumentActivity(_catalog, _events, _time, options))
            .Run(new RejectDocumentActivity(_catalog, _events, _time));
        return await new DocumentProcessingWorkflow().RunAsync(context, intake);
    }

    private async Task<DocumentRecord> RecordAsync(string id) => (await _catalog.GetAsync(id, CancellationToken.None))!;

    [Fact]
    public async Task An_uploaded_invoice_is_catalogued_with_text_language_type_summary_and_routed_to_finance()
    {
        var pdf = TestCorpus.TextPdf(
            "TAX INVOICE\nInvoice No: VEN/2026/118\nGSTIN 32ABCDE1234F1Z5\nEscalator maintenance at Edappally and Kaloor stations for October 2026.",
            "Amount payable: Rs. 1,18,000 against PO 4500012345.\nPayment is due on or before 05/12/2026 to avoid late fees.");
        var intake = await Intakes.StoreAsync(_blobs.Store, pdf, "invoice-118.pdf", TestCorpus.Pdf);

        var result = await ProcessAsync(intake);

        Assert.Equal(ProcessingOutcome.Processed, result.Outcome);
        var record = await RecordAsync(intake.DocumentId);
        Assert.Equal(DocumentStatus.Processed, record.Status);
        Assert.Equal(nameof(DocumentKind.Pdf), record.Kind);
        Assert.Equal(Languages.English, record.Language);
        Assert.Equal("invoice", record.DocumentType);
        Assert.Contains("finance", record.Departments);
        Assert.False(string.IsNullOrWhiteSpace(record.Summary));
        Assert.Equal(["VEN/2026/118"], record.KeyFields!.Invoices);
        Assert.Equal(["Edappally", "Kaloor"], record.KeyFields.Stations);
        Assert.Contains("Escalator maintenance", await TextBlobs.ReadAsync(_blobs.Store, record.TextBlob, CancellationToken.None));
        Assert.Single(_events.On<DocumentRouted>(DaprNames.Topics.ForDepartment("finance")));
        Assert.Equal(new DateOnly(2026, 12, 5), Assert.Single(_events.On<DocumentDeadlineApproaching>(DaprNames.Topics.DocumentDeadlineApproaching)).Deadline);
    }

    [Fact]
    public async Task The_same_file_by_email_and_then_whatsapp_is_one_record_with_two_provenances()
    {
        var pdf = TestCorpus.TextPdf("Board meeting minutes: the board of directors resolved to approve the agenda.");
        var byMail = await Intakes.StoreAsync(_blobs.Store, pdf, "minutes.pdf", TestCorpus.Pdf, DocumentSources.Email, "INBOX/9/301");
        var byWhatsApp = await Intakes.StoreAsync(_blobs.Store, pdf, "minutes.pdf", TestCorpus.Pdf, DocumentSources.WhatsApp, "wamid.HBgM");

        var first = await ProcessAsync(byMail);
        var second = await ProcessAsync(byWhatsApp);

        Assert.Equal(ProcessingOutcome.Processed, first.Outcome);
        Assert.Equal(new DocumentProcessingResult(ProcessingOutcome.Duplicate, byMail.DocumentId, null, null), second);
        var record = await RecordAsync(byMail.DocumentId);
        Assert.Equal([DocumentSources.Email, DocumentSources.WhatsApp], record.Provenance.Select(p => p.Source));
        Assert.Equal("board-minutes", record.DocumentType);
        Assert.Single(_events.On<DocumentProcessed>(DaprNames.Topics.DocumentProcessed));
    }

    [Fact]
    public async Task A_scanned_malayalam_circular_is_read_by_ocr_and_routed_by_its_malayalam_keywords()
    {
        var tiff = await TestCorpus.RenderScanTiffAsync(
            "സുരക്ഷാ സർക്കുലർ\nഎല്ലാ ജീവനക്കാരും ആലുവ സ്റ്റേഷനിൽ ജാഗ്രത പാലിക്കണം", "Noto Sans Malayalam");
        var intake = await Intakes.StoreAsync(_blobs.Store, TestCorpus.ScannedPdf(tiff), "circular-scan.pdf", TestCorpus.Pdf, DocumentSources.WhatsApp, "wamid.SCAN");

        var result = await ProcessAsync(intake);

        Assert.Equal(ProcessingOutcome.Processed, result.Outcome);
        var record = await RecordAsync(intake.DocumentId);
        Assert.Equal([1], record.OcrPages);
        Assert.Equal(Languages.Malayalam, record.Language);
        Assert.Equal("safety-circular", record.DocumentType);
        Assert.Contains(record.Evidence, e => e.Contains("'സർക്കുലർ'", StringComparison.Ordinal));
        Assert.Equal(["Aluva"], record.KeyFields!.Stations);
        var routed = Assert.Single(_events.On<DocumentRouted>(DaprNames.Topics.ForDepartment("safety")));
        Assert.Equal(intake.DocumentId, routed.DocumentId);
    }

    [Fact]
    public async Task A_corrupt_pdf_ends_rejected_at_extraction_at_the_first_attempt_with_a_named_reason()
    {
        var corrupt = "%PDF-1.7\n1 0 obj << /Type /Catalog /Pages 9 0 R >>\nthis is not a PDF body at all\n"u8.ToArray();
        var intake = await Intakes.StoreAsync(_blobs.Store, corrupt, "broken.pdf", TestCorpus.Pdf);

        var result = await ProcessAsync(intake);

        Assert.Equal(ProcessingOutcome.Rejected, result.Outcome);
        Assert.Equal(Stages.Extract, result.Stage);
        var record = await RecordAsync(intake.DocumentId);
        Assert.Equal(DocumentStatus.Rejected, record.Status);
        Assert.Equal(Stages.Extract, record.Rejection!.Stage);
        Assert.Equal("corrupt-pdf: Neither PdfPig nor poppler could parse the PDF.", record.Rejection.Reason);
        Assert.Equal(1, _context!.Attempts[nameof(ExtractTextActivity)]);
        Assert.Equal(Stages.Extract, Assert.Single(_events.On<DocumentRejected>(DaprNames.Topics.DocumentRejected)).Stage);
    }

    [Fact]
    public async Task A_permission_only_encrypted_circular_is_catalogued_with_its_text()
    {
        var pdf = PdfCases.PermissionOnlyEncrypted("Government of India circular on metro rail safety audits");
        var intake = await Intakes.StoreAsync(_blobs.Store, pdf, "circular.pdf", TestCorpus.Pdf);

        var result = await ProcessAsync(intake);

        Assert.Equal(ProcessingOutcome.Processed, result.Outcome);
        var record = await RecordAsync(intake.DocumentId);
        var text = await TextBlobs.ReadAsync(_blobs.Store, record.TextBlob, CancellationToken.None);
        Assert.Equal("Government of India circular on metro rail safety audits", text);
    }

    [Fact]
    public async Task A_pdf_with_a_broken_xref_is_catalogued_from_poppler()
    {
        var intake = await Intakes.StoreAsync(_blobs.Store, PdfCases.BrokenXref("Work order WO-7781 for the Kaloor lift"), "wo.pdf", TestCorpus.Pdf);

        var result = await ProcessAsync(intake);

        Assert.Equal(ProcessingOutcome.Processed, result.Outcome);
        var record = await RecordAsync(intake.DocumentId);
        Assert.Equal("poppler", record.Extraction);
        Assert.Equal(1, record.PageCount);
        Assert.Contains("WO-7781", await TextBlobs.ReadAsync(_blobs.Store, record.TextBlob, CancellationToken.None));
    }

    [Fact]
    public async Task An_encrypted_pdf_ends_rejected_at_validation_with_its_named_reason()
    {
        var intake = await Intakes.StoreAsync(_blobs.Store, TestCorpus.EncryptedPdf(), "locked.pdf", TestCorpus.Pdf);

        var result = await ProcessAsync(intake);

        Assert.Equal(Stages.Validate, result.Stage);
        var record = await RecordAsync(intake.DocumentId);
        Assert.StartsWith(RejectionReasons.EncryptedPdf, record.Rejection!.Reason);
        Assert.Empty(_events.On<DocumentProcessed>(DaprNames.Topics.DocumentProcessed));
    }
}
