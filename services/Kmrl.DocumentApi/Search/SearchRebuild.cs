using System.Runtime.CompilerServices;
using Kmrl.DocumentApi.Ports;
using Kmrl.Search;
using Microsoft.Extensions.Options;

namespace Kmrl.DocumentApi.Search;

public sealed class SearchOptions
{
    public const string Section = "Search";

    /// <summary><c>lucene</c> (embedded, the default) or <c>postgres</c> (several replicas share one index).</summary>
    public string Engine { get; set; } = SearchEngines.Lucene;

    /// <summary>The first day a rebuild reads the catalog from (the catalog is indexed by day).</summary>
    public DateOnly RebuildFrom { get; set; } = new(2020, 1, 1);
}

public static class SearchEngines
{
    public const string Lucene = "lucene";
    public const string Postgres = "postgres";
}

/// <summary>What a rebuild did: running, finished with a count, or failed with the reason.</summary>
public sealed record SearchRebuildStatus(string State, DateTimeOffset? StartedAt, DateTimeOffset? FinishedAt, long Indexed, string? Error)
{
    public static SearchRebuildStatus Idle { get; } = new("idle", null, null, 0, null);
}

/// <summary>
/// Rebuilds the index from the catalog, one run at a time, in the background (a large catalog takes minutes): walks
/// the catalog day by day from <see cref="SearchOptions.RebuildFrom"/> to today and replaces the index in one go.
/// </summary>
public sealed partial class SearchRebuild(
    ICatalog catalog, SearchIndexer indexer, ISearchIndex index, IOptions<SearchOptions> options, TimeProvider time,
    ILogger<SearchRebuild> logger)
{
    private const int PageSize = 100;
    private readonly Lock _lock = new();
    private Task? _running;

    public SearchRebuildStatus Status { get; private set; } = SearchRebuildStatus.Idle;

    /// <summary>Starts a rebuild unless one runs; returns whether this call started it.</summary>
    public bool TryStart()
    {
        lock (_lock)
        {
            if (_running is { IsCompleted: false }) return false;
            Status = new SearchRebuildStatus("running", time.GetUtcNow(), null, 0, null);
            _running = Task.Run(() => RunAsync(CancellationToken.None));
            return true;
        }
    }

    /// <summary>Runs a rebuild to the end (the background run, and tests).</summary>
    public async Task<long> RunAsync(CancellationToken cancellationToken)
    {
        var started = Status.StartedAt ?? time.GetUtcNow();
        try
        {
            var count = await index.ReplaceAllAsync(RecordsAsync(cancellationToken), cancellationToken);
            Status = new SearchRebuildStatus("finished", started, time.GetUtcNow(), count, null);
            LogRebuilt(logger, count);
            return count;
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            Status = new SearchRebuildStatus("failed", started, time.GetUtcNow(), 0, exception.Message);
            LogRebuildFailed(logger, exception);
            throw;
        }
    }

    private async IAsyncEnumerable<Kmrl.Search.SearchDocument> RecordsAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var today = DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime);
        for (var day = today; day >= options.Value.RebuildFrom; day = day.AddDays(-1))
        {
            for (var page = 1; ; page++)
            {
                var found = await catalog.QueryAsync(new DocumentQuery(null, null, null, day, day, null, page, PageSize), cancellationToken);
                foreach (var record in found.Items.Where(SearchIndexer.IsSearchable))
                {
                    yield return await indexer.ToSearchDocumentAsync(record, cancellationToken);
                }
                if (!found.HasMore) break;
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Search index rebuilt from the catalog: {Count} documents")]
    private static partial void LogRebuilt(ILogger logger, long count);

    [LoggerMessage(Level = LogLevel.Error, Message = "Search index rebuild failed; the previous index is kept")]
    private static partial void LogRebuildFailed(ILogger logger, Exception exception);
}
