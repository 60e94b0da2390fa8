using Kmrl.Contracts;
using Kmrl.DocumentApi.Activities;
using Kmrl.DocumentApi.Workflows;

namespace Kmrl.DocumentApi.Tests.Workflows;

public sealed class DocumentProcessingWorkflowTests
{
    private static readonly DocumentIntake Intake = new(
        "doc-0123", "key-0123", DocumentSources.Email, "INBOX/1/77", "circular.pdf", TestCorpus.Pdf, 1234, "ab12",
        new BlobReference("upload-1", 1234, "ab12", 1, 16384), new Dictionary<string, string>(), new DateTimeOffset(2026, 11, 27, 4, 0, 0, TimeSpan.Zero));

    private static readonly BlobReference Text = new("text-doc-0123", 90, "cd34", 1, 16384);

    private readonly List<RejectInput> _rejections = [];

    private TestWorkflowContext HappyContext() => new TestWorkflowContext(Intake.DocumentId)
        .On<DocumentIntake, ValidationResult>(nameof(ValidateDocumentActivity), _ => ValidationResult.Accept(DocumentKind.Pdf))
        .On<DocumentIntake, DedupeResult>(nameof(DeduplicateDocumentActivity), _ => new DedupeResult(false, null))
        .On<ExtractInput, ExtractionResult>(nameof(ExtractTextActivity), _ => new ExtractionResult(ExtractionOutcome.Extracted, "pdfpig", Text, 1, [], new Dictionary<string, string>()))
        .On<LanguageInput, LanguageResult>(nameof(DetectLanguageActivity), _ => new LanguageResult(Languages.Malayalam, 0.97, []))
        .On<ClassifyInput, ClassificationResult>(nameof(ClassifyDocumentActivity), _ => new ClassificationResult("safety-circular", ["safety"], ["rule safety-circular"]))
        .On<SummariseInput, SummaryResult>(nameof(SummariseDocumentActivity), _ => new SummaryResult("സുരക്ഷാ സർക്കുലർ", KeyFields.None))
        .On<CatalogInput, CatalogResult>(nameof(CatalogDocumentActivity), input => new CatalogResult(input.Intake.DocumentId, input.Classification.Departments, false))
        .On<RejectInput, bool>(nameof(RejectDocumentActivity), input =>
        {
            _rejections.Add(input);
            return true;
        });

    [Fact]
    public async Task A_good_document_passes_every_stage_in_order_and_is_catalogued()
    {
        var context = HappyContext();

        var result = await new DocumentProcessingWorkflow().RunAsync(context, Intake);

        Assert.Equal(new DocumentProcessingResult(ProcessingOutcome.Processed, Intake.DocumentId, null, null), result);
        Assert.Equal(
            [nameof(ValidateDocumentActivity), nameof(DeduplicateDocumentActivity), nameof(ExtractTextActivity), nameof(DetectLanguageActivity),
             nameof(ClassifyDocumentActivity), nameof(SummariseDocumentActivity), nameof(CatalogDocumentActivity)],
            context.Calls.Select(c => c.Name));
        var catalog = (CatalogInput)context.Calls.Last().Input!;
        Assert.Equal(Languages.Malayalam, catalog.Language.Language);
        Assert.Equal(Text, catalog.Extraction.Text);
        var summarise = (SummariseInput)context.Calls.Single(c => c.Name == nameof(SummariseDocumentActivity)).Input!;
        Assert.Equal(Languages.Malayalam, summarise.Language);
    }

    [Fact]
    public async Task Every_activity_is_called_with_the_retry_policy()
    {
        var context = HappyContext();

        await new DocumentProcessingWorkflow().RunAsync(context, Intake);

        Assert.All(context.Calls, call => Assert.Same(DocumentProcessingWorkflow.ActivityRetry, call.Options?.RetryPolicy));
        Assert.True(DocumentProcessingWorkflow.ActivityRetry.MaxNumberOfAttempts > 1);
    }

    [Fact]
    public async Task A_duplicate_stops_after_dedupe_without_extracting_or_rejecting()
    {
        var context = HappyContext().On<DocumentIntake, DedupeResult>(nameof(DeduplicateDocumentActivity), _ => new DedupeResult(true, "doc-original"));

        var result = await new DocumentProcessingWorkflow().RunAsync(context, Intake);

        Assert.Equal(ProcessingOutcome.Duplicate, result.Outcome);
        Assert.Equal("doc-original", result.DocumentId);
        Assert.Equal([nameof(ValidateDocumentActivity), nameof(DeduplicateDocumentActivity)], context.Calls.Select(c => c.Name));
        Assert.Empty(_rejections);
    }

    [Fact]
    public async Task A_refused_file_is_rejected_at_validation_with_its_named_reason()
    {
        var context = HappyContext().On<DocumentIntake, ValidationResult>(nameof(ValidateDocumentActivity),
            _ => ValidationResult.Reject(DocumentKind.Pdf, RejectionReasons.EncryptedPdf, "has /Encrypt"));

        var result = await new DocumentProcessingWorkflow().RunAsync(context, Intake);

        Assert.Equal(ProcessingOutcome.Rejected, result.Outcome);
        var rejection = Assert.Single(_rejections);
        Assert.Equal(Stages.Validate, rejection.Stage);
        Assert.StartsWith(RejectionReasons.EncryptedPdf, rejection.Reason);
        Assert.DoesNotContain(context.Calls, c => c.Name == nameof(DeduplicateDocumentActivity));
    }

    [Fact]
    public async Task A_transient_failure_is_retried_and_the_document_still_goes_through()
    {
        var failures = 0;
        var context = HappyContext().On<ExtractInput, ExtractionResult>(nameof(ExtractTextActivity), _ =>
        {
            if (++failures <= 2) throw new IOException("blob store timed out");
            return new ExtractionResult(ExtractionOutcome.Extracted, "pdfpig", Text, 1, [], new Dictionary<string, string>());
        });

        var result = await new DocumentProcessingWorkflow().RunAsync(context, Intake);

        Assert.Equal(ProcessingOutcome.Processed, result.Outcome);
        Assert.Equal(3, context.Attempts[nameof(ExtractTextActivity)]);
        Assert.Empty(_rejections);
    }

    [Fact]
    public async Task A_file_extraction_cannot_read_is_rejected_at_once_with_its_named_reason()
    {
        var context = HappyContext().On<ExtractInput, ExtractionResult>(nameof(ExtractTextActivity),
            _ => ExtractionResult.Reject(RejectionReasons.CorruptPdf, "Neither PdfPig nor poppler could parse the PDF."));

        var result = await new DocumentProcessingWorkflow().RunAsync(context, Intake);

        Assert.Equal(new DocumentProcessingResult(ProcessingOutcome.Rejected, Intake.DocumentId, Stages.Extract,
            "corrupt-pdf: Neither PdfPig nor poppler could parse the PDF."), result);
        Assert.Equal(1, context.Attempts[nameof(ExtractTextActivity)]);
        Assert.Equal("corrupt-pdf: Neither PdfPig nor poppler could parse the PDF.", Assert.Single(_rejections).Reason);
        Assert.DoesNotContain(context.Calls, c => c.Name == nameof(DetectLanguageActivity));
    }

    [Fact]
    public async Task A_failure_that_outlives_its_retries_ends_in_rejection_with_the_stage_and_error()
    {
        var context = HappyContext().On<ClassifyInput, ClassificationResult>(nameof(ClassifyDocumentActivity),
            _ => throw new InvalidDataException("Invalid classification rules: rule 'x' has nothing to match on"));

        var result = await new DocumentProcessingWorkflow().RunAsync(context, Intake);

        Assert.Equal(new DocumentProcessingResult(ProcessingOutcome.Rejected, Intake.DocumentId, Stages.Classify, result.Reason), result);
        Assert.Equal(DocumentProcessingWorkflow.ActivityRetry.MaxNumberOfAttempts, context.Attempts[nameof(ClassifyDocumentActivity)]);
        var rejection = Assert.Single(_rejections);
        Assert.Equal(Stages.Classify, rejection.Stage);
        Assert.Contains("has nothing to match on", rejection.Reason);
        Assert.DoesNotContain(context.Calls, c => c.Name == nameof(CatalogDocumentActivity));
    }

    [Fact]
    public async Task A_document_without_an_extractor_is_still_classified_and_catalogued()
    {
        var context = HappyContext().On<ExtractInput, ExtractionResult>(nameof(ExtractTextActivity),
            _ => new ExtractionResult(ExtractionOutcome.NoExtractor, "none", null, 0, [], new Dictionary<string, string>()));

        var result = await new DocumentProcessingWorkflow().RunAsync(context, Intake);

        Assert.Equal(ProcessingOutcome.Processed, result.Outcome);
        Assert.Null(((CatalogInput)context.Calls.Last().Input!).Extraction.Text);
    }

    [Fact]
    public async Task The_stage_is_visible_as_custom_status_while_it_runs()
    {
        var context = HappyContext();

        await new DocumentProcessingWorkflow().RunAsync(context, Intake);

        Assert.Equal([Stages.Validate, Stages.Dedupe, Stages.Extract, Stages.Language, Stages.Classify, Stages.Summarise, Stages.Catalog, "processed"],
            context.CustomStatuses.Cast<string>());
    }
}
