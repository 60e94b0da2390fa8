using Dapr.Workflow;
using Kmrl.BuildingBlocks.PubSub;
using Kmrl.Contracts;
using Kmrl.DocumentApi.Extensions;
using Kmrl.DocumentApi.Model;
using Kmrl.DocumentApi.Pipeline;
using Kmrl.DocumentApi.Ports;
using Microsoft.Extensions.Options;

namespace Kmrl.DocumentApi.Activities;

/// <summary>
/// Saves the processed record (with its indexes, in one transaction) and then publishes: DocumentProcessed, one
/// DocumentRouted per department topic, and DocumentDeadlineApproaching for a deadline inside the horizon.
/// Saving is an upsert and events are at-least-once, so a retried activity is harmless.
/// </summary>
public sealed class CatalogDocumentActivity(ICatalog catalog, IEventPublisher events, TimeProvider time, IOptions<DocumentProcessingOptions> options)
    : WorkflowActivity<CatalogInput, CatalogResult>
{
    public override async Task<CatalogResult> RunAsync(WorkflowActivityContext context, CatalogInput input)
    {
        using var stage = PipelineMetrics.Time(nameof(CatalogDocumentActivity));
        var cancellationToken = CancellationToken.None;
        var now = time.GetUtcNow();
        var intake = input.Intake;
        var existing = await catalog.GetAsync(intake.DocumentId, cancellationToken);
        var record = (existing ?? DeduplicateDocumentActivity.NewRecord(intake, DocumentStatus.Processing, now)) with
        {
            Status = DocumentStatus.Processed,
            Kind = input.Validation.Kind.ToString(),
            TextBlob = input.Extraction.Text,
            ArchiveBlob = input.Extraction.Archive?.Blob,
            Archive = input.Extraction.Archive?.Status,
            // "tool-missing:soffice" says more than no-extractor: the text comes once the tool is installed and the document reprocessed.
            Extraction = input.Extraction is { Outcome: ExtractionOutcome.NoExtractor, Extractor: "none" } ? "no-extractor" : input.Extraction.Extractor,
            PageCount = input.Extraction.PageCount,
            OcrPages = input.Extraction.OcrPages,
            FailedPages = input.Extraction.FailedPages ?? [],
            PageSources = input.Extraction.PageSources ?? [],
            FormFields = input.Extraction.FormFields ?? new Dictionary<string, string>(),
            ActiveContent = input.Extraction.ActiveContent ?? [],
            Language = input.Language.Language,
            PageLanguages = input.Language.Pages,
            DocumentType = input.Classification.DocumentType,
            Departments = input.Classification.Departments,
            Evidence = input.Classification.Evidence,
            Summary = input.Summary.Summary,
            KeyFields = input.Summary.Fields,
            Rejection = null,
            UpdatedAt = now,
        };
        await catalog.SaveAsync(record, cancellationToken);

        await events.PublishAsync(DaprNames.Topics.DocumentProcessed, new DocumentProcessed(
            record.DocumentId, record.Sha256, record.FileName, input.Classification.DocumentType,
            input.Classification.Departments, input.Language.Language, input.Summary.Summary, now), cancellationToken);

        foreach (var department in input.Classification.Departments)
        {
            await events.PublishAsync(DaprNames.Topics.ForDepartment(department), new DocumentRouted(
                record.DocumentId, department, input.Classification.DocumentType, record.FileName, input.Summary.Summary,
                input.Classification.Evidence, now), cancellationToken);
        }

        var today = DateOnly.FromDateTime(now.UtcDateTime);
        var horizon = today.AddDays(options.Value.DeadlineHorizonDays);
        var deadline = input.Summary.Fields.Deadlines.Where(d => d >= today && d <= horizon).Order().Cast<DateOnly?>().FirstOrDefault();
        if (deadline is { } due)
        {
            await events.PublishAsync(DaprNames.Topics.DocumentDeadlineApproaching, new DocumentDeadlineApproaching(
                record.DocumentId, record.FileName, due, input.Classification.Departments, now), cancellationToken);
        }
        return new CatalogResult(record.DocumentId, input.Classification.Departments, deadline is not null);
    }
}
