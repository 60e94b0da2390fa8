using Dapr.Workflow;
using Kmrl.ClaimCheck;
using Kmrl.DocumentApi.Model;
using Kmrl.DocumentApi.Processing;
using Kmrl.DocumentApi.Pipeline;

namespace Kmrl.DocumentApi.Activities;

/// <summary>English, Malayalam or mixed, for the document and for each page.</summary>
public sealed class DetectLanguageActivity(IDocumentContentStore store) : WorkflowActivity<LanguageInput, LanguageResult>
{
    public override async Task<LanguageResult> RunAsync(WorkflowActivityContext context, LanguageInput input)
    {
        using var stage = PipelineMetrics.Time(nameof(DetectLanguageActivity));
        var text = await TextBlobs.ReadAsync(store, input.Text, CancellationToken.None);
        return LanguageDetector.DetectPages(ExtractedText.SplitPages(text));
    }
}
