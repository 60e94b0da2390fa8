using Dapr.Workflow;
using Kmrl.ClaimCheck;
using Kmrl.DocumentApi.Model;
using Kmrl.DocumentApi.Pipeline;
using Kmrl.DocumentApi.Processing;

namespace Kmrl.DocumentApi.Activities;

/// <summary>
/// Extracts the text (OCR where there is no text layer) and stores it as a blob keyed by the document id. The
/// extraction itself waits for a CPU slot; reading the content and writing the text (I/O) do not hold one.
/// </summary>
public sealed class ExtractTextActivity(IDocumentContentStore store, TextExtractor extractor, CpuWorkLimiter cpu) : WorkflowActivity<ExtractInput, ExtractionResult>
{
    public override async Task<ExtractionResult> RunAsync(WorkflowActivityContext context, ExtractInput input)
    {
        var cancellationToken = CancellationToken.None;
        var extension = Path.GetExtension(input.Intake.FileName);
        await using var copy = await TempContent.CopyAsync(store, input.Intake.Blob, extension.Length <= 6 ? extension : string.Empty, cancellationToken);
        var extracted = await cpu.RunAsync(() => extractor.ExtractAsync(copy.FilePath, input.Kind, cancellationToken), cancellationToken);
        if (extracted.Outcome == ExtractionOutcome.NoExtractor)
        {
            return new ExtractionResult(extracted.Outcome, extracted.Extractor, null, 0, [], extracted.Properties);
        }
        var text = MalayalamText.Normalise(string.Join(ExtractedText.PageSeparator, extracted.Pages));
        // Same key on every attempt: a retried activity overwrites rather than adding a second text blob.
        var blob = await TextBlobs.WriteAsync(store, input.Intake.DocumentId, text, cancellationToken);
        return new ExtractionResult(extracted.Outcome, extracted.Extractor, blob, extracted.Pages.Count, extracted.OcrPages, extracted.Properties);
    }
}
