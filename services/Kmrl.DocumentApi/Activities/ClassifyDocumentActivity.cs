using Dapr.Workflow;
using Kmrl.ClaimCheck;
using Kmrl.DocumentApi.Model;
using Kmrl.DocumentApi.Ports;
using Kmrl.DocumentApi.Processing;
using Kmrl.DocumentApi.Pipeline;

namespace Kmrl.DocumentApi.Activities;

/// <summary>Document type and departments from the YAML rules, with the evidence of every rule that matched.</summary>
public sealed class ClassifyDocumentActivity(IDocumentContentStore store, IClassificationRules rules) : WorkflowActivity<ClassifyInput, ClassificationResult>
{
    private static readonly string[] SenderMetadataKeys = ["from", "sender", "senderAddress", "email.from"];

    public override async Task<ClassificationResult> RunAsync(WorkflowActivityContext context, ClassifyInput input)
    {
        using var stage = PipelineMetrics.Time(nameof(ClassifyDocumentActivity));
        var text = await TextBlobs.ReadAsync(store, input.Text, CancellationToken.None);
        if (input.Properties.TryGetValue(TextExtractor.PropertySubject, out var subject))
        {
            text = subject + "\n" + text;
        }
        var sender = input.Properties.GetValueOrDefault(TextExtractor.PropertySender)
            ?? SenderMetadataKeys.Select(k => input.Intake.SourceMetadata.GetValueOrDefault(k)).FirstOrDefault(v => v is not null);
        var subjectOfRules = new ClassificationSubject(MalayalamText.Normalise(text), input.Intake.FileName, input.Intake.Source, sender);
        return RuleClassifier.Classify(rules.Current, subjectOfRules);
    }
}
