using Kmrl.DocumentApi.Search;
using Kmrl.Search;
using Kmrl.Search.Lucene;
using Kmrl.Search.Postgres;
using Microsoft.Extensions.Options;

namespace Kmrl.DocumentApi.Extensions;

public static class SearchExtensions
{
    /// <summary>
    /// The search read model: the engine chosen by <c>Search:Engine</c> (lucene by default, postgres for several
    /// replicas), the indexer the events feed, the rebuild, and the access scope of a caller.
    /// </summary>
    public static TBuilder AddDocumentSearch<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        var services = builder.Services;
        services.AddOptions<SearchOptions>().BindConfiguration(SearchOptions.Section)
            .Validate(o => o.Engine is SearchEngines.Lucene or SearchEngines.Postgres, "Search:Engine must be 'lucene' or 'postgres'.")
            .ValidateOnStart();
        services.AddOptions<LuceneSearchOptions>().BindConfiguration($"{SearchOptions.Section}:Lucene");
        services.AddOptions<PostgresSearchOptions>().BindConfiguration($"{SearchOptions.Section}:Postgres");
        // A missing connection string (a Secret not yet created, a misspelt variable) stops the start, not the first search.
        services.AddOptions<SearchOptions>()
            .Validate<IOptions<PostgresSearchOptions>>(
                (o, postgres) => o.Engine != SearchEngines.Postgres || !string.IsNullOrWhiteSpace(postgres.Value.ConnectionString),
                "Search:Engine is 'postgres' but Search:Postgres:ConnectionString is empty.");
        services.AddOptions<SearchAccessOptions>().BindConfiguration($"{SearchOptions.Section}:Access");
        services.AddSingleton<ISearchIndex>(sp =>
        {
            var access = sp.GetRequiredService<IOptions<SearchAccessOptions>>().Value;
            return sp.GetRequiredService<IOptions<SearchOptions>>().Value.Engine == SearchEngines.Postgres
                ? new PostgresSearchIndex(sp.GetRequiredService<IOptions<PostgresSearchOptions>>().Value, access)
                : new LuceneSearchIndex(sp.GetRequiredService<IOptions<LuceneSearchOptions>>().Value, access);
        });
        services.AddSingleton<SearchIndexer>();
        services.AddSingleton<SearchRebuild>();
        services.AddSingleton<IAccessScopeResolver, ClaimsAccessScopeResolver>();
        return builder;
    }
}
