namespace Kmrl.Search.Postgres;

public sealed class PostgresSearchOptions
{
    /// <summary>An Npgsql connection string; the role needs CREATE on the schema (the table and pg_trgm are created once).</summary>
    public string ConnectionString { get; set; } = string.Empty;

    /// <summary>The table that holds the index (one per deployment; tests use one per test).</summary>
    public string Table { get; set; } = "kmrl_search";

    /// <summary>
    /// Relevance ranks the newest this many hits of a query (all of them when there are no more), and lists any further
    /// hits newest first after them: ts_rank reads each ranked row's tsvector from TOAST, so ranking every hit of a word
    /// in most documents took most of a second (P7). Pages still cover every hit once, and the totals and facets count
    /// every hit. Lucene ranks every hit (BM25 over the whole index): the two differ only for a query with more hits
    /// than this, where PostgreSQL's first page is the best of the newest 1,000 (the last few weeks of a busy
    /// installation) rather than of all time. 0 ranks every hit, as Lucene does, at that cost.
    /// </summary>
    public int RankWindow { get; set; } = 1000;
}
