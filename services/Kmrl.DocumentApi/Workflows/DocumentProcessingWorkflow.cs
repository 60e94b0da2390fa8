using Dapr.Workflow;
using Kmrl.DocumentApi.Activities;
using Kmrl.DocumentApi.Model;

namespace Kmrl.DocumentApi.Workflows;

/// <summary>
/// validate → dedupe → extract → language → classify/route → summarise → catalog and publish. Every activity has a
/// retry policy for what may heal; a refusal at validation, a file extraction cannot read (answered as a rejection,
/// not thrown, so it is not retried) or a failure that outlives its retries ends in the reject activity, so nothing
/// is dropped silently. Deterministic: no clock, no I/O, no randomness here, only activity calls.
/// </summary>
public sealed class DocumentProcessingWorkflow : Workflow<DocumentIntake, DocumentProcessingResult>
{
    /// <summary>Transient failures (sidecar, state store, a busy OCR) get four tries over about half a minute.</summary>
    public static readonly WorkflowRetryPolicy ActivityRetry = new(
        maxNumberOfAttempts: 4,
        firstRetryInterval: TimeSpan.FromSeconds(2),
        backoffCoefficient: 2.5,
        maxRetryInterval: TimeSpan.FromSeconds(30));

    public override async Task<DocumentProcessingResult> RunAsync(WorkflowContext context, DocumentIntake input)
    {
        var options = new WorkflowTaskOptions(ActivityRetry);
        var stage = Stages.Validate;
        try
        {
            context.SetCustomStatus(stage);
            var validation = await context.CallActivityAsync<ValidationResult>(nameof(ValidateDocumentActivity), input, options);
            if (!validation.Accepted)
            {
                return await RejectAsync(context, input, Stages.Validate, $"{validation.Reason}: {validation.Detail}", options);
            }

            stage = Stages.Dedupe;
            context.SetCustomStatus(stage);
            var dedupe = await context.CallActivityAsync<DedupeResult>(nameof(DeduplicateDocumentActivity), input, options);
            if (dedupe.IsDuplicate)
            {
                return new DocumentProcessingResult(ProcessingOutcome.Duplicate, dedupe.ExistingDocumentId!, null, null);
            }

            stage = Stages.Extract;
            context.SetCustomStatus(stage);
            var extraction = await context.CallActivityAsync<ExtractionResult>(nameof(ExtractTextActivity), new ExtractInput(input, validation.Kind), options);
            if (extraction.Outcome == ExtractionOutcome.Rejected)
            {
                return await RejectAsync(context, input, Stages.Extract, $"{extraction.RejectionReason}: {extraction.RejectionDetail}", options);
            }

            stage = Stages.Language;
            context.SetCustomStatus(stage);
            var language = await context.CallActivityAsync<LanguageResult>(nameof(DetectLanguageActivity), new LanguageInput(input.DocumentId, extraction.Text), options);

            stage = Stages.Classify;
            context.SetCustomStatus(stage);
            var classification = await context.CallActivityAsync<ClassificationResult>(
                nameof(ClassifyDocumentActivity), new ClassifyInput(input, extraction.Text, extraction.Properties), options);

            stage = Stages.Summarise;
            context.SetCustomStatus(stage);
            var summary = await context.CallActivityAsync<SummaryResult>(
                nameof(SummariseDocumentActivity), new SummariseInput(input.DocumentId, extraction.Text, language.Language, input.FileName), options);

            stage = Stages.Catalog;
            context.SetCustomStatus(stage);
            await context.CallActivityAsync<CatalogResult>(
                nameof(CatalogDocumentActivity), new CatalogInput(input, validation, extraction, language, classification, summary), options);

            context.SetCustomStatus("processed");
            return new DocumentProcessingResult(ProcessingOutcome.Processed, input.DocumentId, null, null);
        }
        catch (WorkflowTaskFailedException ex)
        {
            var reason = ex.FailureDetails is { } details ? $"{details.ErrorType}: {details.ErrorMessage}" : ex.Message;
            return await RejectAsync(context, input, stage, reason, options);
        }
    }

    private static async Task<DocumentProcessingResult> RejectAsync(WorkflowContext context, DocumentIntake input, string stage, string reason, WorkflowTaskOptions options)
    {
        context.SetCustomStatus("rejected");
        await context.CallActivityAsync<bool>(nameof(RejectDocumentActivity), new RejectInput(input, stage, reason), options);
        return new DocumentProcessingResult(ProcessingOutcome.Rejected, input.DocumentId, stage, reason);
    }
}
