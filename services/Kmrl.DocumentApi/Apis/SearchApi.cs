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
            search.MapGet("/", SearchHandlers.SearchAsync).RequireAuthorization(StaffPolicies.Search);
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
