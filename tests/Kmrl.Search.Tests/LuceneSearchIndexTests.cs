using Kmrl.Search.Lucene;
using Kmrl.Testing.Servers;

namespace Kmrl.Search.Tests;

public sealed class LuceneSearchIndexTests : SearchIndexContract
{
    private readonly TempDirectory _directory = new("lucene");

    protected override Task<ISearchIndex> CreateIndexAsync() =>
        Task.FromResult<ISearchIndex>(new LuceneSearchIndex(new LuceneSearchOptions { IndexPath = _directory.Path }, new SearchAccessOptions()));

    private readonly TempDirectory _everyHit = new("lucene-every-hit");

    protected override Task<ISearchIndex> CreateIndexRankingEveryHitAsync() =>
        Task.FromResult<ISearchIndex>(new LuceneSearchIndex(new LuceneSearchOptions { IndexPath = _everyHit.Path }, new SearchAccessOptions()));

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        _directory.Dispose();
        _everyHit.Dispose();
    }

    [Fact]
    public async Task The_index_survives_a_restart_of_the_process()
    {
        ((IDisposable)Index).Dispose();
        using var reopened = new LuceneSearchIndex(new LuceneSearchOptions { IndexPath = _directory.Path }, new SearchAccessOptions());

        Assert.Equal(SearchCorpus.All.Count, await reopened.CountAsync(CancellationToken.None));
    }
}
