using Kmrl.Search.Postgres;
using Kmrl.Testing.Servers;

namespace Kmrl.Search.Tests;

/// <summary>The same contract on PostgreSQL: one throwaway cluster for the class, a table per test.</summary>
public sealed class PostgresSearchIndexTests(PostgresServer server) : SearchIndexContract, IClassFixture<PostgresServer>
{
    private static int _table;

    protected override Task<ISearchIndex> CreateIndexAsync() =>
        Task.FromResult<ISearchIndex>(new PostgresSearchIndex(
            new PostgresSearchOptions { ConnectionString = server.ConnectionString, Table = $"search_{Interlocked.Increment(ref _table)}" },
            new SearchAccessOptions()));

    [Fact]
    public void A_table_name_that_is_not_a_plain_identifier_is_refused()
    {
        Assert.Throws<ArgumentException>(() => new PostgresSearchIndex(
            new PostgresSearchOptions { ConnectionString = server.ConnectionString, Table = "x; DROP TABLE y" }, new SearchAccessOptions()));
    }
}
