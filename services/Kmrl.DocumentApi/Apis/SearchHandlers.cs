using System.Globalization;
using System.Security.Claims;
using Kmrl.Contracts;
using Kmrl.DocumentApi.Search;
using Kmrl.Search;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace Kmrl.DocumentApi.Apis;

/// <summary>The query string of <c>GET /search</c>; several values of a filter are given by repeating it.</summary>
public sealed record SearchParameters
{
    /// <summary>Words (all must match), "phrases", prefix*, fuzzy~, a OR b, -word (see <see cref="SearchApi.QuerySyntax"/>). Empty lists what the filters allow, newest first.</summary>
    [FromQuery(Name = "q")]
    public string? Q { get; init; }
    [FromQuery(Name = "department")]
    public string[]? Department { get; init; }
    [FromQuery(Name = "type")]
    public string[]? Type { get; init; }
    [FromQuery(Name = "source")]
    public string[]? Source { get; init; }
    [FromQuery(Name = "language")]
    public string[]? Language { get; init; }
    [FromQuery(Name = "status")]
    public string[]? Status { get; init; }
    [FromQuery(Name = "hasDeadline")]
    public bool? HasDeadline { get; init; }
    [FromQuery(Name = "from")]
    public DateOnly? From { get; init; }
    [FromQuery(Name = "to")]
    public DateOnly? To { get; init; }
    /// <summary>Comma-separated: department, type, source, language, status, has-deadline.</summary>
    [FromQuery(Name = "facets")]
    public string? Facets { get; init; }
    /// <summary>relevance (default), newest or oldest.</summary>
    [FromQuery(Name = "sort")]
    public string? Sort { get; init; }
    [FromQuery(Name = "page")]
    public int? Page { get; init; }
    [FromQuery(Name = "pageSize")]
    public int? PageSize { get; init; }
}

public static class SearchHandlers
{
    public static async Task<Results<Ok<SearchResults>, ProblemHttpResult>> SearchAsync(
        [AsParameters] SearchParameters parameters, ClaimsPrincipal user, IAccessScopeResolver scopes, ISearchIndex index,
        CancellationToken cancellationToken)
    {
        try
        {
            var request = ToRequest(parameters);
            return TypedResults.Ok(await index.SearchAsync(request, scopes.ScopeOf(user), cancellationToken));
        }
        catch (SearchQueryException exception)
        {
            // A query the user wrote wrong is theirs to fix, never a server error.
            return TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest, title: "The search cannot be run.", detail: exception.Message);
        }
    }

    public static Results<Accepted<SearchRebuildStatus>, Conflict<SearchRebuildStatus>> StartRebuild(SearchRebuild rebuild) =>
        rebuild.TryStart()
            ? TypedResults.Accepted("/search/rebuild", rebuild.Status)
            : TypedResults.Conflict(rebuild.Status);

    public static Ok<SearchRebuildStatus> RebuildStatus(SearchRebuild rebuild) => TypedResults.Ok(rebuild.Status);

    public static async Task<Ok<SubscriptionReply>> DocumentProcessedAsync(
        DocumentProcessed processed, SearchIndexer indexer, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(processed.DocumentId)) return TypedResults.Ok(SubscriptionReply.Drop);
        await indexer.IndexAsync(processed.DocumentId, cancellationToken);
        return TypedResults.Ok(SubscriptionReply.Success);
    }

    public static async Task<Ok<SubscriptionReply>> DocumentRejectedAsync(
        DocumentRejected rejected, SearchIndexer indexer, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(rejected.DocumentId)) return TypedResults.Ok(SubscriptionReply.Drop);
        await indexer.IndexAsync(rejected.DocumentId, cancellationToken);
        return TypedResults.Ok(SubscriptionReply.Success);
    }

    internal static SearchRequest ToRequest(SearchParameters p)
    {
        var facets = (p.Facets ?? string.Empty).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Distinct(StringComparer.Ordinal).ToList();
        var unknown = facets.Except(SearchFacets.All, StringComparer.Ordinal).ToList();
        if (unknown.Count > 0)
        {
            throw new SearchQueryException($"Unknown facet '{unknown[0]}': use {string.Join(", ", SearchFacets.All)}.");
        }
        var sort = p.Sort?.ToLowerInvariant() switch
        {
            null or "" or "relevance" => SearchSort.Relevance,
            "newest" or "date" => SearchSort.Newest,
            "oldest" => SearchSort.Oldest,
            _ => throw new SearchQueryException("sort must be relevance, newest or oldest."),
        };
        var page = p.Page ?? 1;
        var pageSize = p.PageSize ?? 20;
        if (page < 1 || pageSize is < 1 or > SearchRequest.MaxPageSize)
        {
            throw new SearchQueryException(string.Create(CultureInfo.InvariantCulture, $"page must be >= 1 and pageSize 1-{SearchRequest.MaxPageSize}."));
        }
        if (p.From is { } from && p.To is { } to && from > to)
        {
            throw new SearchQueryException("from must not be after to.");
        }
        return new SearchRequest
        {
            Query = SearchQuery.Parse(p.Q),
            Filters = new SearchFilters
            {
                Departments = Values(p.Department),
                Types = Values(p.Type),
                Sources = Values(p.Source),
                Languages = Values(p.Language),
                Statuses = Values(p.Status),
                HasDeadline = p.HasDeadline,
                From = p.From,
                To = p.To,
            },
            Facets = facets,
            Sort = sort,
            Page = page,
            PageSize = pageSize,
        };
    }

    private static List<string> Values(string[]? values) =>
        (values ?? []).SelectMany(v => v.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).Distinct(StringComparer.Ordinal).ToList();
}
