using Dapr.Workflow;
using Kmrl.ClaimCheck;
using Kmrl.DocumentApi.Model;
using Kmrl.DocumentApi.Extensions;
using Kmrl.DocumentApi.Processing;
using Microsoft.Extensions.Options;

namespace Kmrl.DocumentApi.Activities;

/// <summary>
/// Extracts the text (OCR where there is no text layer) and stores it as a blob keyed by the document id, within the
/// extraction time budget: past it the activity fails with time-budget-exceeded, which the workflow turns into a
/// rejection at the extract stage.
/// </summary>
public sealed class ExtractTextActivity(IDocumentContentStore store, TextExtractor extractor, TimeProvider time, IOptions<DocumentProcessingOptions> options)
    : WorkflowActivity<ExtractInput, ExtractionResult>
{
    public override async Task<ExtractionResult> RunAsync(WorkflowActivityContext context, ExtractInput input)
    {
        var budget = options.Value.ExtractTimeBudget;
        using var deadline = new CancellationTokenSource(budget, time);
        try
        {
            return await ExtractAsync(input, deadline.Token);
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested)
        {
            throw new TimeoutException($"{RejectionReasons.TimeBudgetExceeded}: extracting {input.Intake.FileName} ran longer than {budget}.");
        }
    }

    private async Task<ExtractionResult> ExtractAsync(ExtractInput input, CancellationToken cancellationToken)
    {
        var extension = Path.GetExtension(input.Intake.FileName);
        await using var copy = await TempContent.CopyAsync(store, input.Intake.Blob, extension.Length <= 6 ? extension : string.Empty, cancellationToken);
        var extracted = await extractor.ExtractAsync(copy.FilePath, input.Kind, cancellationToken);
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
