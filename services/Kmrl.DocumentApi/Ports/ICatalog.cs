using Kmrl.DocumentApi.Model;

namespace Kmrl.DocumentApi.Ports;

public sealed record DocumentQuery(
    string? Source,
    string? Department,
    string? DocumentType,
    DateOnly From,
    DateOnly To,
    DocumentStatus? Status,
    int Page,
    int PageSize);

public sealed record DocumentPage(IReadOnlyList<DocumentRecord> Items, int Page, int PageSize, bool HasMore);

/// <summary>A document discovery that pub/sub gave up on, kept for a person to look at and replay.</summary>
public sealed record DeadLetter(string Id, Kmrl.Contracts.DocumentDiscovered Event, DateTimeOffset ReceivedAt);

/// <summary>The document catalog: records with their indexes (SHA-256, source item, day), and dead letters.</summary>
public interface ICatalog
{
    Task<DocumentRecord?> GetAsync(string documentId, CancellationToken cancellationToken);

    Task<string?> FindBySha256Async(string sha256, CancellationToken cancellationToken);

    /// <summary>Saves the record (merged with what others added meanwhile), then brings its indexes up to it.</summary>
    Task SaveAsync(DocumentRecord record, CancellationToken cancellationToken);

    /// <summary>Adds the provenance (once per source item) to an existing record; null when there is no such record.</summary>
    Task<DocumentRecord?> AddProvenanceAsync(string documentId, Provenance provenance, CancellationToken cancellationToken);

    /// <summary>Marks every provenance of that source item removed; returns the records it touched.</summary>
    Task<IReadOnlyList<DocumentRecord>> MarkRemovedAtSourceAsync(
        string source, string sourceId, string reason, DateTimeOffset removedAt, CancellationToken cancellationToken);

    Task<DocumentPage> QueryAsync(DocumentQuery query, CancellationToken cancellationToken);

    Task SaveDeadLetterAsync(DeadLetter deadLetter, CancellationToken cancellationToken);

    Task<IReadOnlyList<DeadLetter>> ListDeadLettersAsync(CancellationToken cancellationToken);

    Task<DeadLetter?> GetDeadLetterAsync(string id, CancellationToken cancellationToken);

    Task DeleteDeadLetterAsync(string id, CancellationToken cancellationToken);

    /// <summary>Keeps the note that an upload was accepted (once: a second save of the same id changes nothing).</summary>
    Task SaveAcceptedAsync(AcceptedDocument accepted, CancellationToken cancellationToken);

    Task<AcceptedDocument?> GetAcceptedAsync(string documentId, CancellationToken cancellationToken);

    /// <summary>
    /// Notes that the document's own run is being scheduled, with what it starts from, until its record is final:
    /// what the start-up reconciliation schedules again when the workflow runtime lost the run.
    /// </summary>
    Task NoteInFlightAsync(DocumentIntake intake, CancellationToken cancellationToken);

    /// <summary>At most <paramref name="max"/> documents noted in flight, with their intakes.</summary>
    Task<IReadOnlyList<DocumentIntake>> ListInFlightAsync(int max, CancellationToken cancellationToken);

    /// <summary>The document's record is final: it is no longer in flight.</summary>
    Task ForgetInFlightAsync(string documentId, CancellationToken cancellationToken);
}
