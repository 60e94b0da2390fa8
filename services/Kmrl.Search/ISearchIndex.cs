namespace Kmrl.Search;

/// <summary>
/// The search read model. Never the source of truth: the catalog is, and <see cref="ReplaceAllAsync"/> rebuilds the
/// index from it. Writes are idempotent (keyed by document id, ordered by <see cref="SearchDocument.UpdatedAt"/>), so an
/// event delivered twice or late changes nothing.
/// </summary>
public interface ISearchIndex
{
    /// <summary>Adds or replaces the document unless the index already holds a newer version of it.</summary>
    Task UpsertAsync(SearchDocument document, CancellationToken cancellationToken);

    /// <summary>Removes the document; removing one that is not there is not an error.</summary>
    Task DeleteAsync(string documentId, CancellationToken cancellationToken);

    /// <summary>Throws <see cref="SearchQueryException"/> for a request the engine cannot answer (never a server error).</summary>
    Task<SearchResults> SearchAsync(SearchRequest request, AccessScope scope, CancellationToken cancellationToken);

    /// <summary>Replaces the whole index with these documents (the rebuild); returns how many were indexed.</summary>
    Task<long> ReplaceAllAsync(IAsyncEnumerable<SearchDocument> documents, CancellationToken cancellationToken);

    Task<long> CountAsync(CancellationToken cancellationToken);
}

/// <summary>A query the user wrote that cannot be run: the message says what to change (the API answers 400).</summary>
public sealed class SearchQueryException(string message) : Exception(message);
