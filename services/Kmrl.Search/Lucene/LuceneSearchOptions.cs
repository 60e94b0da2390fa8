namespace Kmrl.Search.Lucene;

public sealed class LuceneSearchOptions
{
    /// <summary>
    /// The index directory. Locally under .data/search (gitignored); in Kubernetes a PersistentVolumeClaim mounted
    /// here, one per replica (or run the PostgreSQL engine when there are several replicas).
    /// </summary>
    public string IndexPath { get; set; } = Path.Combine(".data", "search");
}
