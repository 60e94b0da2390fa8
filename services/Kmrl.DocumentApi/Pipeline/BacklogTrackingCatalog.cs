using Kmrl.DocumentApi.Adapters;
using Kmrl.DocumentApi.Model;
using Kmrl.DocumentApi.Ports;

namespace Kmrl.DocumentApi.Pipeline;

/// <summary>
/// The catalog, closing a document in the <see cref="PipelineBacklog"/> when its final record is saved: every end of the
/// workflow (catalogued, rejected, duplicate) goes through <see cref="SaveAsync"/>, so this is the one place to see it.
/// </summary>
public sealed class BacklogTrackingCatalog(StateStoreCatalog inner, PipelineBacklog backlog) : ICatalog
{
    public Task<DocumentRecord?> GetAsync(string documentId, CancellationToken cancellationToken) => inner.GetAsync(documentId, cancellationToken);

    public Task<string?> FindBySha256Async(string sha256, CancellationToken cancellationToken) => inner.FindBySha256Async(sha256, cancellationToken);

    public async Task SaveAsync(DocumentRecord record, CancellationToken cancellationToken)
    {
        await inner.SaveAsync(record, cancellationToken);
        if (record.Status != DocumentStatus.Processing)
        {
            backlog.Close(record.DocumentId);
            await inner.ForgetInFlightAsync(record.DocumentId, cancellationToken);
        }
    }

    public Task<DocumentRecord?> AddProvenanceAsync(string documentId, Provenance provenance, CancellationToken cancellationToken) =>
        inner.AddProvenanceAsync(documentId, provenance, cancellationToken);

    public Task<IReadOnlyList<DocumentRecord>> MarkRemovedAtSourceAsync(
        string source, string sourceId, string reason, DateTimeOffset removedAt, CancellationToken cancellationToken) =>
        inner.MarkRemovedAtSourceAsync(source, sourceId, reason, removedAt, cancellationToken);

    public Task<DocumentPage> QueryAsync(DocumentQuery query, CancellationToken cancellationToken) => inner.QueryAsync(query, cancellationToken);

    public Task SaveDeadLetterAsync(DeadLetter deadLetter, CancellationToken cancellationToken) => inner.SaveDeadLetterAsync(deadLetter, cancellationToken);

    public Task<IReadOnlyList<DeadLetter>> ListDeadLettersAsync(CancellationToken cancellationToken) => inner.ListDeadLettersAsync(cancellationToken);

    public Task<DeadLetter?> GetDeadLetterAsync(string id, CancellationToken cancellationToken) => inner.GetDeadLetterAsync(id, cancellationToken);

    public Task DeleteDeadLetterAsync(string id, CancellationToken cancellationToken) => inner.DeleteDeadLetterAsync(id, cancellationToken);

    public Task SaveAcceptedAsync(AcceptedDocument accepted, CancellationToken cancellationToken) => inner.SaveAcceptedAsync(accepted, cancellationToken);

    public Task<AcceptedDocument?> GetAcceptedAsync(string documentId, CancellationToken cancellationToken) => inner.GetAcceptedAsync(documentId, cancellationToken);

    public Task NoteInFlightAsync(DocumentIntake intake, CancellationToken cancellationToken) => inner.NoteInFlightAsync(intake, cancellationToken);

    public Task<IReadOnlyList<DocumentIntake>> ListInFlightAsync(int max, CancellationToken cancellationToken) => inner.ListInFlightAsync(max, cancellationToken);

    public Task ForgetInFlightAsync(string documentId, CancellationToken cancellationToken) => inner.ForgetInFlightAsync(documentId, cancellationToken);
}
