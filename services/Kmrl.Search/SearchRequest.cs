namespace Kmrl.Search;

public enum SearchSort
{
    Relevance,
    Newest,
    Oldest,
}

/// <summary>The facets a search can count; the name is what the API takes in <c>facets=</c> and returns.</summary>
public static class SearchFacets
{
    public const string Department = "department";
    public const string Type = "type";
    public const string Source = "source";
    public const string Language = "language";
    public const string Status = "status";
    public const string HasDeadline = "has-deadline";

    public static readonly IReadOnlyList<string> All = [Department, Type, Source, Language, Status, HasDeadline];
}

/// <summary>Filters are ANDed; several values of one filter are ORed. Null or empty means "any".</summary>
public sealed record SearchFilters
{
    public IReadOnlyList<string> Departments { get; init; } = [];
    public IReadOnlyList<string> Types { get; init; } = [];
    public IReadOnlyList<string> Sources { get; init; } = [];
    public IReadOnlyList<string> Languages { get; init; } = [];
    public IReadOnlyList<string> Statuses { get; init; } = [];
    public bool? HasDeadline { get; init; }
    /// <summary>Inclusive bounds on the day the document arrived (UTC).</summary>
    public DateOnly? From { get; init; }
    public DateOnly? To { get; init; }
}

public sealed record SearchRequest
{
    public const int MaxPageSize = 100;

    /// <summary>The parsed query; <see cref="SearchQuery.Empty"/> lists everything the filters and scope allow.</summary>
    public SearchQuery Query { get; init; } = SearchQuery.Empty;
    public SearchFilters Filters { get; init; } = new();
    public IReadOnlyList<string> Facets { get; init; } = [];
    public SearchSort Sort { get; init; } = SearchSort.Relevance;
    /// <summary>1-based.</summary>
    public int Page { get; init; } = 1;
    public int PageSize { get; init; } = 20;
}

/// <param name="Snippet">HTML-escaped text with the matches in &lt;mark&gt;; safe to put in a page as it is.</param>
public sealed record SearchHit(
    string DocumentId,
    string FileName,
    string? DocumentType,
    IReadOnlyList<string> Departments,
    string? Language,
    string Status,
    string SourceStatus,
    DateTimeOffset CreatedAt,
    double Score,
    string Snippet);

public sealed record FacetCount(string Value, long Count);

public sealed record SearchResults(
    long Total,
    int Page,
    int PageSize,
    IReadOnlyList<SearchHit> Hits,
    IReadOnlyDictionary<string, IReadOnlyList<FacetCount>> Facets);
