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
    /// in most documents took most of a second (P7). Pages still cover every hit once.
    /// </summary>
    public int RankWindow { get; set; } = 1000;
}
