using Dapr.Workflow;
using Kmrl.BuildingBlocks.PubSub;
using Kmrl.Contracts;
using Kmrl.DocumentApi.Model;
using Kmrl.DocumentApi.Pipeline;
using Kmrl.DocumentApi.Ports;

namespace Kmrl.DocumentApi.Activities;

/// <summary>Records the document as rejected with the stage and reason, and publishes DocumentRejected.</summary>
public sealed class RejectDocumentActivity(ICatalog catalog, IEventPublisher events, TimeProvider time) : WorkflowActivity<RejectInput, bool>
{
    public override async Task<bool> RunAsync(WorkflowActivityContext context, RejectInput input)
    {
        using var stage = PipelineMetrics.Time(nameof(RejectDocumentActivity));
        var cancellationToken = CancellationToken.None;
        var now = time.GetUtcNow();
        var intake = input.Intake;
        var existing = await catalog.GetAsync(intake.DocumentId, cancellationToken);
        var record = (existing ?? DeduplicateDocumentActivity.NewRecord(intake, DocumentStatus.Rejected, now)) with
        {
            Status = DocumentStatus.Rejected,
            Rejection = new Rejection(input.Stage, input.Reason, now),
            UpdatedAt = now,
        };
        await catalog.SaveAsync(record, cancellationToken);
        await events.PublishAsync(DaprNames.Topics.DocumentRejected, new DocumentRejected(
            intake.DocumentId, intake.IdempotencyKey, intake.Source, intake.SourceId, intake.FileName, input.Stage, input.Reason, now),
            cancellationToken);
        // Counted once it is recorded and announced: an attempt that failed before is retried and counted then.
        PipelineMetrics.Rejected(input.Stage, input.Reason);
        return true;
    }
}
