using Dapr;
using Kmrl.Contracts;
using Kmrl.DocumentApi.Security;

namespace Kmrl.DocumentApi.Apis;

public static class SearchApi
{
    public const string ProcessedRoute = "/dapr/events/search-document-processed";
    public const string RejectedRoute = "/dapr/events/search-document-rejected";

    /// <summary>
    /// <c>GET /search</c>, the rebuild, and the subscriptions that keep the index up to date. Map it in the role that
    /// receives document-processed and document-rejected (the one that runs the catalog).
    /// </summary>
    public static WebApplication MapSearchApi(this WebApplication app)
    {
        var search = app.MapGroup("/search").WithTags("Search");
        search.MapGet("/", SearchHandlers.SearchAsync).RequireAuthorization(SecurityExtensions.ReadPolicy);
        search.MapPost("/rebuild", SearchHandlers.StartRebuild).RequireAuthorization(SecurityExtensions.UploadPolicy);
        search.MapGet("/rebuild", SearchHandlers.RebuildStatus).RequireAuthorization(SecurityExtensions.ReadPolicy);

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
