using Kmrl.DocumentApi.Apis;
using Kmrl.Search;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Kmrl.DocumentApi.Ui.Pages;

/// <summary>The search page: the same request <c>GET /search</c> takes, inside the person's access scope.</summary>
public sealed class SearchModel(ISearchIndex index, DocumentAccess access) : PageModel
{
    public static readonly IReadOnlyList<string> PageFacets = SearchFacets.All;

    [BindProperty(SupportsGet = true)]
    public SearchParameters Query { get; set; } = new();

    public SearchResults? Results { get; private set; }

    public string? Error { get; private set; }

    public async Task OnGetAsync(CancellationToken cancellationToken)
    {
        try
        {
            var request = SearchHandlers.ToRequest(Query with { Facets = string.Join(',', PageFacets) });
            Results = await index.SearchAsync(request, access.ScopeOf(User), cancellationToken);
        }
        catch (SearchQueryException exception)
        {
            Error = exception.Message;
        }
    }

    public bool IsSelected(string facet, string value) => Selected(facet).Contains(value, StringComparer.Ordinal);

    public IReadOnlyList<string> Selected(string facet) => facet switch
    {
        SearchFacets.Department => Query.Department ?? [],
        SearchFacets.Type => Query.Type ?? [],
        SearchFacets.Source => Query.Source ?? [],
        SearchFacets.Language => Query.Language ?? [],
        SearchFacets.Status => Query.Status ?? [],
        _ => [],
    };

    /// <summary>The query string parameter a facet filters by (has-deadline is a yes/no filter).</summary>
    public static string ParameterOf(string facet) => facet == SearchFacets.HasDeadline ? "hasDeadline" : facet;

    public string PageLink(int page)
    {
        var query = Request.Query.Where(q => q.Key != "page")
            .SelectMany(q => q.Value.Select(v => $"{Uri.EscapeDataString(q.Key)}={Uri.EscapeDataString(v ?? "")}"))
            .Append($"page={page}");
        return "/ui/search?" + string.Join('&', query);
    }
}
