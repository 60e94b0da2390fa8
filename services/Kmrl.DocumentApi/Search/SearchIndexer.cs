using Kmrl.ClaimCheck;
using Kmrl.DocumentApi.Model;
using Kmrl.DocumentApi.Ports;
using Kmrl.DocumentApi.Processing;
using Kmrl.Search;

namespace Kmrl.DocumentApi.Search;

/// <summary>
/// Keeps the search index a projection of the catalog. Events only say which document changed: the record is read
/// again from the catalog, so a redelivered, late or out-of-order event indexes what the catalog says now.
/// </summary>
public sealed class SearchIndexer(ICatalog catalog, IDocumentContentStore content, ISearchIndex index)
{
    public async Task IndexAsync(string documentId, CancellationToken cancellationToken)
    {
        var record = await catalog.GetAsync(documentId, cancellationToken);
        if (record is null || !IsSearchable(record))
        {
            // Gone, or an arrival folded into another document (a duplicate): nothing of it is searched.
            await index.DeleteAsync(documentId, cancellationToken);
            return;
        }
        await index.UpsertAsync(await ToSearchDocumentAsync(record, cancellationToken), cancellationToken);
    }

    public async Task IndexAsync(DocumentRecord record, CancellationToken cancellationToken)
    {
        if (IsSearchable(record)) await index.UpsertAsync(await ToSearchDocumentAsync(record, cancellationToken), cancellationToken);
        else await index.DeleteAsync(record.DocumentId, cancellationToken);
    }

    /// <summary>Processed documents are found by their text; rejected ones by name and metadata (operations looks for them).</summary>
    public static bool IsSearchable(DocumentRecord record) => record.Status is DocumentStatus.Processed or DocumentStatus.Rejected;

    public async Task<SearchDocument> ToSearchDocumentAsync(DocumentRecord record, CancellationToken cancellationToken)
    {
        var text = await TextBlobs.ReadAsync(content, record.TextBlob, cancellationToken);
        var fields = record.KeyFields ?? KeyFields.None;
        return new SearchDocument
        {
            DocumentId = record.DocumentId,
            FileName = record.FileName,
            CreatedAt = record.CreatedAt,
            UpdatedAt = record.UpdatedAt,
            Status = StatusName(record.Status),
            SourceStatus = record.SourceStatus,
            DocumentType = record.DocumentType,
            Language = record.Language,
            Summary = record.Summary ?? string.Empty,
            Text = text,
            Departments = record.Departments,
            Sources = record.Provenance.Select(p => p.Source).Distinct(StringComparer.Ordinal).ToList(),
            KeyFields = [.. fields.WorkOrders, .. fields.PurchaseOrders, .. fields.Invoices, .. fields.Stations, .. fields.TrainSets, .. fields.Amounts],
            // Every arrival's file name and metadata: the sender and subject of a mail, the SharePoint library path, the
            // Maximo work order, the WhatsApp number.
            Metadata = record.Provenance
                .SelectMany(p => p.Metadata.Values.Prepend(p.FileName))
                .Where(v => !string.IsNullOrWhiteSpace(v) && !string.Equals(v, record.FileName, StringComparison.Ordinal))
                .Distinct(StringComparer.Ordinal)
                .ToList(),
            Deadlines = fields.Deadlines,
        };
    }

    public static string StatusName(DocumentStatus status) => status.ToString().ToLowerInvariant();
}
