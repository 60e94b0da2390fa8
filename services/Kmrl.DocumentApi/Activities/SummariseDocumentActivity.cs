using Dapr.Workflow;
using Kmrl.ClaimCheck;
using Kmrl.DocumentApi.Extensions;
using Kmrl.DocumentApi.Model;
using Kmrl.DocumentApi.Processing;
using Microsoft.Extensions.Options;
using Kmrl.DocumentApi.Pipeline;

namespace Kmrl.DocumentApi.Activities;

/// <summary>An extractive summary in the document's language, and the key fields (dates, deadlines, numbers, places).</summary>
public sealed class SummariseDocumentActivity(IDocumentContentStore store, IOptions<DocumentProcessingOptions> options)
    : WorkflowActivity<SummariseInput, SummaryResult>
{
    public override async Task<SummaryResult> RunAsync(WorkflowActivityContext context, SummariseInput input)
    {
        using var stage = PipelineMetrics.Time(nameof(SummariseDocumentActivity));
        // Only the beginning is analysed (MaxAnalysedChars): a summary and key fields need no 100 MiB of text, and the
        // summariser's word counts and sentence lists grow with what they are given.
        var text = await TextBlobs.ReadPrefixAsync(store, input.Text, options.Value.MaxAnalysedChars, CancellationToken.None);
        if (text.Length == 0)
        {
            return new SummaryResult(string.Empty, KeyFields.None);
        }
        var summary = ExtractiveSummariser.Summarise(text, input.Language, options.Value.SummaryMaxChars);
        return new SummaryResult(summary, KeyFieldExtractor.Extract(text.Replace(ExtractedText.PageSeparator, '\n')));
    }
}
