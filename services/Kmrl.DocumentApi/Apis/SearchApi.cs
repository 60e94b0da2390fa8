using Dapr;
using Kmrl.Contracts;
using Kmrl.DocumentApi.Extensions;
using Kmrl.DocumentApi.Security;
using Microsoft.Extensions.Options;

namespace Kmrl.DocumentApi.Apis;

public static class SearchApi
{
    public const string ProcessedRoute = "/dapr/events/search-document-processed";
    public const string RejectedRoute = "/dapr/events/search-document-rejected";

    /// <summary>The syntax of <c>q</c> (Kmrl.Search.SearchQuery), as the API description gives it.</summary>
    public const string QuerySyntax =
        """
        Query syntax of `q` (the same for both engines):

        - `metro circular`: every word must be found. English words match their other forms (circulars, circular's);
          Malayalam and other Indic words match across inflection (`സർക്കുലർ` finds `സർക്കുലറിൽ`, `സർക്കുലറുകൾ`).
        - `"rolling stock"`: the words in this order.
        - `escal*`: words that begin with this (at least 2 letters).
        - `inspection~`: words within one or two letters of this (OCR errors).
        - `circular OR notice`: either one. OR is written in capitals and binds tighter than the spaces:
          `circular OR notice aluva` is (circular or notice) and aluva.
        - `-draft`, `-"old copy"`, `-സർക്കുലർ`: leave out documents that have this word or phrase (a `-` inside a word,
          as in `WO-2025-0042`, is part of the word). A query of exclusions only lists everything else, newest first.

        At most 16 words or phrases and 500 characters. A query that cannot be run is answered 400 with a
        ProblemDetails saying what to change. Results, totals and facet counts cover only the documents the caller may read.
        """;

    /// <summary>
    /// <c>GET /search</c> and the rebuild where the public API is served; the subscriptions that keep the index up to
    /// date where the pipeline runs (they get document-processed and document-rejected beside the catalog's own). Split
    /// into two roles the index must be one both reach: the PostgreSQL engine, not an embedded index per process.
    /// </summary>
    public static WebApplication MapSearchApi(this WebApplication app)
    {
        var role = app.Services.GetRequiredService<IOptions<DocumentApiRoleOptions>>().Value;
        if (role.ServesApi)
        {
            var search = app.MapGroup("/search").WithTags("Search");
            search.MapGet("/", SearchHandlers.SearchAsync).RequireAuthorization(StaffPolicies.Search)
                .WithSummary("Find documents by their words, in English or Malayalam, within what the caller may read.")
                .WithDescription(QuerySyntax);
            search.MapPost("/rebuild", SearchHandlers.StartRebuild).RequireAuthorization(SecurityExtensions.UploadPolicy);
            search.MapGet("/rebuild", SearchHandlers.RebuildStatus).RequireAuthorization(SecurityExtensions.ReadPolicy);
        }
        if (!role.RunsPipeline)
        {
            return app;
        }

        app.MapPost(ProcessedRoute, SearchHandlers.DocumentProcessedAsync)
            .WithTopic(DaprNames.Components.PubSub, DaprNames.Topics.DocumentProcessed)
            .RequireDaprApiToken()
            .AllowAnonymous()
            .ExcludeFromDescription();
        app.MapPost(RejectedRoute, SearchHandlers.DocumentRejectedAsync)
            .WithTopic(DaprNames.Components.PubSub, DaprNames.Topics.DocumentRejected)
            .RequireDaprApiToken()
            .AllowAnonymous()
            .ExcludeFromDescription();
        return app;
    }
}
