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

    protected override Task<ISearchIndex> CreateIndexRankingEveryHitAsync() =>
        Task.FromResult<ISearchIndex>(new PostgresSearchIndex(
            new PostgresSearchOptions { ConnectionString = server.ConnectionString, Table = $"search_{Interlocked.Increment(ref _table)}", RankWindow = 0 },
            new SearchAccessOptions()));

    [Fact]
    public async Task Relevance_ranks_the_newest_hits_of_its_window_then_lists_the_rest_newest_first_each_once()
    {
        await using var index = new PostgresSearchIndex(
            new PostgresSearchOptions { ConnectionString = server.ConnectionString, Table = $"search_{Interlocked.Increment(ref _table)}", RankWindow = 2 },
            new SearchAccessOptions());
        // Oldest to newest; the oldest says it most, but only the newest two are ranked.
        string[] texts = ["ballast ballast ballast ballast ballast", "ballast", "ballast ballast ballast", "ballast"];
        for (var i = 0; i < texts.Length; i++)
        {
            await index.UpsertAsync(SearchCorpus.Tender with
            {
                DocumentId = $"b{i}", Text = texts[i], CreatedAt = SearchCorpus.Day.AddDays(i), UpdatedAt = SearchCorpus.Day.AddDays(i),
            }, CancellationToken.None);
        }

        var query = SearchQuery.Parse("ballast");
        var pages = new List<string>();
        for (var page = 1; page <= 2; page++)
        {
            var results = await index.SearchAsync(new SearchRequest { Query = query, Page = page, PageSize = 3 }, AccessScope.All, CancellationToken.None);
            Assert.Equal(4, results.Total);
            pages.AddRange(results.Hits.Select(h => h.DocumentId));
        }
        Assert.Equal(["b2", "b3", "b1", "b0"], pages);
        Assert.Equal(["b1"], (await index.SearchAsync(new SearchRequest { Query = query, Page = 3, PageSize = 1 }, AccessScope.All, CancellationToken.None))
            .Hits.Select(h => h.DocumentId));
    }

    [Fact]
    public void A_table_name_that_is_not_a_plain_identifier_is_refused()
    {
        Assert.Throws<ArgumentException>(() => new PostgresSearchIndex(
            new PostgresSearchOptions { ConnectionString = server.ConnectionString, Table = "x; DROP TABLE y" }, new SearchAccessOptions()));
    }
}
