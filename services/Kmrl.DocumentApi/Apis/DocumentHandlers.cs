using Kmrl.ClaimCheck;
using Kmrl.Contracts;
using Kmrl.DocumentApi.Model;
using Kmrl.DocumentApi.Ports;
using Kmrl.DocumentApi.Workflows;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Kmrl.DocumentApi.Apis;

/// <summary>A document whose workflow runs (or failed) but has not catalogued it yet.</summary>
public sealed record PendingDocument(string DocumentId, DocumentStatus Status, string RuntimeStatus, string? Stage, string? Failure);

/// <summary>An upload handed to the pipeline whose workflow has not catalogued it yet. <see cref="Status"/> is "queued".</summary>
public sealed record QueuedDocument(string DocumentId, string Status, string FileName, string ContentType, long Size, string Source, DateTimeOffset AcceptedAt)
{
    public const string QueuedStatus = "queued";

    public static QueuedDocument From(AcceptedDocument accepted) =>
        new(accepted.DocumentId, QueuedStatus, accepted.FileName, accepted.ContentType, accepted.Size, accepted.Source, accepted.AcceptedAt);
}

public sealed record WorkflowEventView(string Run, int EventId, string Type, DateTime Timestamp);

public sealed record WorkflowRunView(string Run, string RuntimeStatus, string? Stage, string? Failure);

/// <param name="HistoryAvailable">False when the Dapr runtime cannot list history (before 1.17): runs without events.</param>
public sealed record DocumentEventsView(string DocumentId, IReadOnlyList<WorkflowRunView> Runs, IReadOnlyList<WorkflowEventView> Events, bool HistoryAvailable);

public sealed record ReprocessResponse(string DocumentId, string Run, string StatusUrl);

public static class DocumentHandlers
{
    public const int MaxPageSize = 100;
    public const int DefaultPageSize = 20;
    public const int DefaultDays = 30;

    /// <summary>
    /// The catalog record; before there is one, an accepted upload reads as "queued" from the state store alone (the
    /// workflow's first steps write the record, so the gap is short), and only a document that came by pub/sub from a
    /// connector is looked up in the workflow engine.
    /// </summary>
    public static async Task<Results<Ok<DocumentRecord>, Ok<QueuedDocument>, Ok<PendingDocument>, ProblemHttpResult>> GetAsync(
        string id, ICatalog catalog, IDocumentWorkflows workflows, CancellationToken cancellationToken)
    {
        var record = await catalog.GetAsync(id, cancellationToken);
        if (record is not null) return TypedResults.Ok(record);
        if (await catalog.GetAcceptedAsync(id, cancellationToken) is { } accepted)
        {
            return TypedResults.Ok(QueuedDocument.From(accepted));
        }

        var state = await workflows.GetStateAsync(id, cancellationToken);
        if (state.Exists)
        {
            return TypedResults.Ok(new PendingDocument(id, DocumentStatus.Processing, state.RuntimeStatus, state.CustomStatus, state.Failure));
        }
        return NotFound(id);
    }

    public static async Task<Results<FileStreamHttpResult, ProblemHttpResult>> GetContentAsync(
        string id, ICatalog catalog, IDocumentContentStore store, CancellationToken cancellationToken)
    {
        var record = await catalog.GetAsync(id, cancellationToken);
        if (record is null) return NotFound(id);
        var content = await store.OpenReadAsync(record.Blob, cancellationToken);
        return TypedResults.Stream(content, record.ContentType, record.FileName);
    }

    public static async Task<Results<FileStreamHttpResult, ProblemHttpResult>> GetTextAsync(
        string id, ICatalog catalog, IDocumentContentStore store, CancellationToken cancellationToken)
    {
        var record = await catalog.GetAsync(id, cancellationToken);
        if (record is null) return NotFound(id);
        if (record.TextBlob is null)
        {
            return UploadHandlers.Problem(StatusCodes.Status404NotFound,
                record.Extraction == "no-extractor" ? "There is no text extractor for this file type." : $"Document {id} has no extracted text (status {record.Status}).");
        }
        var content = await store.OpenReadAsync(record.TextBlob, cancellationToken);
        return TypedResults.Stream(content, "text/plain; charset=utf-8");
    }

    /// <summary>The searchable PDF/A copy of a scan; 404 with the reason (not a scan, ocrmypdf missing, refused) when there is none.</summary>
    public static async Task<Results<FileStreamHttpResult, ProblemHttpResult>> GetArchiveAsync(
        string id, ICatalog catalog, IDocumentContentStore store, CancellationToken cancellationToken)
    {
        var record = await catalog.GetAsync(id, cancellationToken);
        if (record is null) return NotFound(id);
        if (record.ArchiveBlob is null)
        {
            return UploadHandlers.Problem(StatusCodes.Status404NotFound, record.Archive is { } why
                ? $"Document {id} has no archive copy ({why})."
                : $"Document {id} has no archive copy: only scans get one (status {record.Status}).");
        }
        var content = await store.OpenReadAsync(record.ArchiveBlob, cancellationToken);
        return TypedResults.Stream(content, "application/pdf", Path.GetFileNameWithoutExtension(record.FileName) + ".pdf");
    }

    public static async Task<Results<Ok<DocumentPage>, ProblemHttpResult>> QueryAsync(
        ICatalog catalog, TimeProvider time, CancellationToken cancellationToken,
        string? source = null, string? department = null, string? type = null, DateOnly? from = null, DateOnly? to = null,
        string? status = null, int page = 1, int pageSize = DefaultPageSize)
    {
        DocumentStatus? parsedStatus = null;
        if (status is not null)
        {
            if (!Enum.TryParse<DocumentStatus>(status, ignoreCase: true, out var s) || !Enum.IsDefined(s))
            {
                return UploadHandlers.Problem(StatusCodes.Status400BadRequest, $"status must be one of {string.Join(", ", Enum.GetNames<DocumentStatus>())}.");
            }
            parsedStatus = s;
        }
        if (page < 1 || pageSize < 1 || pageSize > MaxPageSize)
        {
            return UploadHandlers.Problem(StatusCodes.Status400BadRequest, $"page must be >= 1 and pageSize 1-{MaxPageSize}.");
        }
        var until = to ?? DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime);
        var since = from ?? until.AddDays(-DefaultDays);
        if (since > until)
        {
            return UploadHandlers.Problem(StatusCodes.Status400BadRequest, "from must not be after to.");
        }
        var result = await catalog.QueryAsync(new DocumentQuery(source, department, type, since, until, parsedStatus, page, pageSize), cancellationToken);
        return TypedResults.Ok(result);
    }

    public static async Task<Results<Ok<DocumentEventsView>, ProblemHttpResult>> GetEventsAsync(
        string id, ICatalog catalog, IDocumentWorkflows workflows, CancellationToken cancellationToken)
    {
        var record = await catalog.GetAsync(id, cancellationToken);
        IReadOnlyList<string> runs = [id, .. record?.WorkflowRuns ?? []];
        var views = new List<WorkflowRunView>();
        var events = new List<WorkflowEventView>();
        var historyAvailable = true;
        foreach (var run in runs)
        {
            // A purged run (retention policy) is simply gone; the record still tells what happened.
            var state = await workflows.GetStateAsync(run, cancellationToken);
            if (!state.Exists) continue;
            views.Add(new WorkflowRunView(run, state.RuntimeStatus, state.CustomStatus, state.Failure));
            if (!historyAvailable) continue;
            var history = await workflows.GetHistoryAsync(run, cancellationToken);
            if (history is null)
            {
                historyAvailable = false;
                continue;
            }
            events.AddRange(history.Select(e => new WorkflowEventView(run, e.EventId, e.Type, e.Timestamp)));
        }
        if (record is null && views.Count == 0) return NotFound(id);
        return TypedResults.Ok(new DocumentEventsView(id, views, events, historyAvailable));
    }

    public static async Task<Results<Accepted<ReprocessResponse>, ProblemHttpResult>> ReprocessAsync(
        string id, ICatalog catalog, DocumentWorkflowStarter starter, TimeProvider time, CancellationToken cancellationToken)
    {
        var record = await catalog.GetAsync(id, cancellationToken);
        if (record is null) return NotFound(id);
        if (record.Status == DocumentStatus.Duplicate)
        {
            return UploadHandlers.Problem(StatusCodes.Status409Conflict, $"Document {id} is a duplicate of {record.DuplicateOf}; reprocess that one.");
        }
        var origin = record.Provenance.FirstOrDefault();
        if (origin is null)
        {
            return UploadHandlers.Problem(StatusCodes.Status409Conflict, $"Document {id} has no provenance to reprocess from.");
        }
        var now = time.GetUtcNow();
        var run = $"{id}-r{now:yyyyMMddHHmmssfff}";
        var intake = new DocumentIntake(id, IdempotencyKey.For(origin.Source, origin.SourceId, record.Sha256), origin.Source, origin.SourceId,
            record.FileName, record.ContentType, record.Size, record.Sha256, record.Blob, origin.Metadata, origin.ReceivedAt);
        await catalog.SaveAsync(record with { WorkflowRuns = [.. record.WorkflowRuns, run], UpdatedAt = now }, cancellationToken);
        await starter.StartAsync(intake, run, cancellationToken);
        return TypedResults.Accepted($"/documents/{id}", new ReprocessResponse(id, run, $"/documents/{id}"));
    }

    public static async Task<Ok<IReadOnlyList<DeadLetter>>> ListDeadLettersAsync(ICatalog catalog, CancellationToken cancellationToken) =>
        TypedResults.Ok(await catalog.ListDeadLettersAsync(cancellationToken));

    public static async Task<Results<Accepted<UploadedDocument>, ProblemHttpResult>> ReplayDeadLetterAsync(
        string id, ICatalog catalog, DocumentWorkflowStarter starter, CancellationToken cancellationToken)
    {
        var deadLetter = await catalog.GetDeadLetterAsync(id, cancellationToken);
        if (deadLetter is null)
        {
            return UploadHandlers.Problem(StatusCodes.Status404NotFound, $"No dead letter {id}.");
        }
        var intake = DocumentIntake.FromDiscovered(deadLetter.Event);
        await starter.StartAsync(intake, null, cancellationToken);
        await catalog.DeleteDeadLetterAsync(id, cancellationToken);
        return TypedResults.Accepted($"/documents/{intake.DocumentId}", new UploadedDocument(intake.DocumentId, intake.FileName, $"/documents/{intake.DocumentId}"));
    }

    private static ProblemHttpResult NotFound(string id) => UploadHandlers.Problem(StatusCodes.Status404NotFound, $"No document {id}.");
}
