using Dapr.Workflow;
using Kmrl.ClaimCheck;
using Kmrl.DocumentApi.Extensions;
using Kmrl.DocumentApi.Model;
using Kmrl.DocumentApi.Pipeline;
using Kmrl.DocumentApi.Ports;
using Kmrl.DocumentApi.Processing;
using Microsoft.Extensions.Options;

namespace Kmrl.DocumentApi.Activities;

/// <summary>
/// Extracts the text (OCR where there is no text layer) and stores it as a blob keyed by the document id. The
/// extraction waits for a CPU slot (with the local copy of the content it reads); writing the text does not hold one.
/// Once it has a slot it runs within the extraction time budget: past it the activity fails with time-budget-exceeded,
/// which the workflow turns into a rejection at the extract stage. Waiting for a slot in a backlog is not counted.
/// A scan then gets its searchable PDF/A copy (<see cref="ScanArchive"/>) from the same local copy, in the same slot,
/// outside the extraction budget: the copy has its own time limit and never rejects the document.
/// </summary>
public sealed class ExtractTextActivity(
    IDocumentContentStore store, ITextExtraction extractor, CpuWorkLimiter cpu, TimeProvider time, IOptions<DocumentProcessingOptions> options,
    ScanArchive? archive = null)
    : WorkflowActivity<ExtractInput, ExtractionResult>
{
    public override async Task<ExtractionResult> RunAsync(WorkflowActivityContext context, ExtractInput input)
    {
        using var stage = PipelineMetrics.Time(nameof(ExtractTextActivity));
        var extension = Path.GetExtension(input.Intake.FileName);
        ExtractedText extracted;
        ArchiveCopy? archived = null;
        try
        {
            // The local copy is taken inside the slot too: a backlog of extractions waiting for a core must not also
            // hold a temp file each (a 100 MB upload apiece).
            extracted = await cpu.RunAsync(async () =>
            {
                var budget = options.Value.ExtractTimeBudget;
                using var deadline = new CancellationTokenSource(budget, time);
                await using var copy = await CopyAsync(input, extension, budget, deadline.Token);
                ExtractedText read;
                try
                {
                    read = await extractor.ExtractAsync(copy.FilePath, input.Kind, deadline.Token);
                }
                catch (OperationCanceledException) when (deadline.IsCancellationRequested)
                {
                    throw Overrun(input, budget);
                }
                if (archive is not null)
                {
                    archived = await archive.KeepAsync(input.Intake.DocumentId, copy.FilePath, input.Kind, read, CancellationToken.None);
                }
                return read;
            }, CancellationToken.None, bulk: input.Intake.Bulk);
        }
        catch (DocumentUnreadableException unreadable)
        {
            // Answered, not thrown: Dapr.Workflow's RetryInterceptor retries every failed activity (its policy has no
            // exception filter), and this failure cannot heal.
            return ExtractionResult.Reject(unreadable.Reason, unreadable.Detail);
        }
        if (extracted.Outcome == ExtractionOutcome.NoExtractor)
        {
            return new ExtractionResult(extracted.Outcome, extracted.Extractor, null, 0, [], extracted.Properties);
        }
        // Cleaned page by page, before the join: a form feed inside a page's own text must not become a page break.
        var text = MalayalamText.Normalise(string.Join(ExtractedText.PageSeparator, extracted.Pages.Select(TextHygiene.Clean)));
        // Same key on every attempt: a retried activity overwrites rather than adding a second text blob.
        var blob = await TextBlobs.WriteAsync(store, input.Intake.DocumentId, text, CancellationToken.None);
        PipelineMetrics.OcrPagesDone(extracted.OcrPages.Count, extracted.FailedPages?.Count ?? 0);
        return new ExtractionResult(extracted.Outcome, extracted.Extractor, blob, extracted.Pages.Count, extracted.OcrPages, extracted.Properties,
            FailedPages: extracted.FailedPages, PageSources: extracted.PageSources, FormFields: extracted.FormFields, ActiveContent: extracted.ActiveContent,
            Archive: archived);
    }

    private async Task<TempContent> CopyAsync(ExtractInput input, string extension, TimeSpan budget, CancellationToken deadline)
    {
        try
        {
            return await TempContent.CopyAsync(store, input.Intake.Blob, extension.Length <= 6 ? extension : string.Empty, deadline);
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested)
        {
            throw Overrun(input, budget);
        }
    }

    private static TimeoutException Overrun(ExtractInput input, TimeSpan budget) =>
        new($"{RejectionReasons.TimeBudgetExceeded}: extracting {input.Intake.FileName} ran longer than {budget}.");
}
