using Dapr.Workflow;
using Kmrl.DocumentApi.Model;
using Kmrl.DocumentApi.Ports;
using Kmrl.DocumentApi.Pipeline;

namespace Kmrl.DocumentApi.Activities;

/// <summary>
/// Same SHA-256 already catalogued → this arrival becomes a provenance of that document (and an alias record that
/// points there). Otherwise this document claims the hash, so a later copy finds it.
/// </summary>
public sealed class DeduplicateDocumentActivity(ICatalog catalog, TimeProvider time) : WorkflowActivity<DocumentIntake, DedupeResult>
{
    public override async Task<DedupeResult> RunAsync(WorkflowActivityContext context, DocumentIntake input)
    {
        using var stage = PipelineMetrics.Time(nameof(DeduplicateDocumentActivity));
        var cancellationToken = CancellationToken.None;
        var owner = await catalog.FindBySha256Async(input.Sha256, cancellationToken);
        if (owner is not null && owner != input.DocumentId)
        {
            var original = await catalog.AddProvenanceAsync(owner, input.ToProvenance(), cancellationToken);
            if (original is not null)
            {
                var now = time.GetUtcNow();
                await catalog.SaveAsync(NewRecord(input, DocumentStatus.Duplicate, now) with { DuplicateOf = owner, Provenance = [] }, cancellationToken);
                return new DedupeResult(true, owner);
            }
            // The index points at a record that is gone; this arrival takes the hash over.
        }

        var existing = await catalog.GetAsync(input.DocumentId, cancellationToken);
        if (existing is null)
        {
            await catalog.SaveAsync(NewRecord(input, DocumentStatus.Processing, time.GetUtcNow()), cancellationToken);
        }
        return new DedupeResult(false, null);
    }

    internal static DocumentRecord NewRecord(DocumentIntake input, DocumentStatus status, DateTimeOffset now) => new()
    {
        DocumentId = input.DocumentId,
        Sha256 = input.Sha256,
        FileName = input.FileName,
        ContentType = input.DeclaredContentType,
        Size = input.Size,
        Blob = input.Blob,
        Status = status,
        Provenance = [input.ToProvenance()],
        CreatedAt = now,
        UpdatedAt = now,
    };
}
