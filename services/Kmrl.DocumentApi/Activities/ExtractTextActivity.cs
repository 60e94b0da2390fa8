using Dapr.Workflow;
using Kmrl.ClaimCheck;
using Kmrl.DocumentApi.Model;
using Kmrl.DocumentApi.Pipeline;
using Kmrl.DocumentApi.Ports;
using Kmrl.DocumentApi.Processing;

namespace Kmrl.DocumentApi.Activities;

/// <summary>
/// Extracts the text (OCR where there is no text layer) and stores it as a blob keyed by the document id. The
/// extraction waits for a CPU slot (with the local copy of the content it reads); writing the text does not hold one.
/// </summary>
public sealed class ExtractTextActivity(IDocumentContentStore store, TextExtractor extractor, CpuWorkLimiter cpu) : WorkflowActivity<ExtractInput, ExtractionResult>
{
    public override async Task<ExtractionResult> RunAsync(WorkflowActivityContext context, ExtractInput input)
    {
        var cancellationToken = CancellationToken.None;
        var extension = Path.GetExtension(input.Intake.FileName);
        ExtractedText extracted;
        try
        {
            // The local copy is taken inside the slot too: a backlog of extractions waiting for a core must not also
            // hold a temp file each (a 100 MB upload apiece).
            extracted = await cpu.RunAsync(async () =>
            {
                await using var copy = await TempContent.CopyAsync(store, input.Intake.Blob, extension.Length <= 6 ? extension : string.Empty, cancellationToken);
                return await extractor.ExtractAsync(copy.FilePath, input.Kind, cancellationToken);
            }, cancellationToken);
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
        var blob = await TextBlobs.WriteAsync(store, input.Intake.DocumentId, text, cancellationToken);
        return new ExtractionResult(extracted.Outcome, extracted.Extractor, blob, extracted.Pages.Count, extracted.OcrPages, extracted.Properties,
            FailedPages: extracted.FailedPages);
    }
}
