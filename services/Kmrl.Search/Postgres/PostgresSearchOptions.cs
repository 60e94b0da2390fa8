namespace Kmrl.Search.Postgres;

public sealed class PostgresSearchOptions
{
    /// <summary>An Npgsql connection string; the role needs CREATE on the schema (the table and pg_trgm are created once).</summary>
    public string ConnectionString { get; set; } = string.Empty;

    /// <summary>The table that holds the index (one per deployment; tests use one per test).</summary>
    public string Table { get; set; } = "kmrl_search";
}
