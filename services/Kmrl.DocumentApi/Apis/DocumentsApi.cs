using Dapr;
using Kmrl.Contracts;
using Kmrl.DocumentApi.Extensions;
using Kmrl.DocumentApi.Security;
using Kmrl.ServiceDefaults.Security;
using Microsoft.Extensions.Options;

namespace Kmrl.DocumentApi.Apis;

public static class DocumentsApi
{
    public const string DiscoveredRoute = "/dapr/events/document-discovered";
    public const string BulkDiscoveredRoute = "/dapr/events/document-discovered-bulk";
    public const string DeadLetterRoute = "/dapr/events/document-discovered-deadletter";
    public const string RemovedRoute = "/dapr/events/document-removed-at-source";

    public static WebApplication MapDocumentsApi(this WebApplication app)
    {
        app.UseCloudEvents();
        app.UseAuthentication();
        app.UseAuthorization();
        app.MapSubscribeHandler();
        // The API description is a map for an attacker: anonymous only on a developer's machine.
        var openApi = app.MapOpenApi();
        if (app.Environment.IsDevelopment())
        {
            openApi.AllowAnonymous();
        }
        else
        {
            openApi.RequireAuthorization(SecurityExtensions.ReadPolicy);
        }

        var role = app.Services.GetRequiredService<IOptions<DocumentApiRoleOptions>>().Value;
        if (role.ServesApi)
        {
            MapPublicApi(app);
        }
        if (role.RunsPipeline)
        {
            MapSubscriptions(app);
        }
        return app;
    }

    private static void MapPublicApi(WebApplication app)
    {
        var documents = app.MapGroup("/documents").WithTags("Documents");
        documents.MapPost("/", UploadHandlers.UploadAsync)
            .RequireAuthorization(SecurityExtensions.UploadPolicy)
            .DisableAntiforgery()
            .Accepts<IFormFile>("multipart/form-data");
        documents.MapGet("/", DocumentHandlers.QueryAsync).RequireAuthorization(SecurityExtensions.ReadPolicy);
        documents.MapGet("/{id}", DocumentHandlers.GetAsync).RequireAuthorization(SecurityExtensions.ReadPolicy);
        documents.MapGet("/{id}/content", DocumentHandlers.GetContentAsync).RequireAuthorization(SecurityExtensions.ReadPolicy);
        documents.MapGet("/{id}/text", DocumentHandlers.GetTextAsync).RequireAuthorization(SecurityExtensions.ReadPolicy);
        documents.MapGet("/{id}/archive", DocumentHandlers.GetArchiveAsync).RequireAuthorization(SecurityExtensions.ReadPolicy);
        documents.MapGet("/{id}/events", DocumentHandlers.GetEventsAsync).RequireAuthorization(SecurityExtensions.ReadPolicy);
        documents.MapPost("/{id}/reprocess", DocumentHandlers.ReprocessAsync).RequireAuthorization(SecurityExtensions.UploadPolicy);

        var deadLetters = app.MapGroup("/dead-letters").WithTags("Dead letters");
        deadLetters.MapGet("/", DocumentHandlers.ListDeadLettersAsync).RequireAuthorization(SecurityExtensions.ReadPolicy);
        deadLetters.MapPost("/{id}/replay", DocumentHandlers.ReplayDeadLetterAsync).RequireAuthorization(SecurityExtensions.UploadPolicy);
    }

    private static void MapSubscriptions(WebApplication app)
    {

        // Sidecar-to-app: no bearer key, but the dapr-api-token (refused without one outside Development).
        app.MapPost(DiscoveredRoute, SubscriptionHandlers.DocumentDiscoveredAsync)
            .WithTopic(new TopicOptions
            {
                PubsubName = DaprNames.Components.PubSub,
                Name = DaprNames.Topics.DocumentDiscovered,
                DeadLetterTopic = DaprNames.Topics.DocumentDiscoveredDeadLetter,
            })
            .RequireDaprApiToken()
            .AllowAnonymous()
            .ExcludeFromDescription();
        app.MapPost(BulkDiscoveredRoute, SubscriptionHandlers.BulkDocumentDiscoveredAsync)
            .WithTopic(new TopicOptions
            {
                PubsubName = DaprNames.Components.PubSub,
                Name = DaprNames.Topics.DocumentDiscoveredBulk,
                DeadLetterTopic = DaprNames.Topics.DocumentDiscoveredDeadLetter,
            })
            .RequireDaprApiToken()
            .AllowAnonymous()
            .ExcludeFromDescription();
        app.MapPost(DeadLetterRoute, SubscriptionHandlers.DeadLetterAsync)
            .WithTopic(DaprNames.Components.PubSub, DaprNames.Topics.DocumentDiscoveredDeadLetter)
            .RequireDaprApiToken()
            .AllowAnonymous()
            .ExcludeFromDescription();
        app.MapPost(RemovedRoute, SubscriptionHandlers.RemovedAtSourceAsync)
            .WithTopic(DaprNames.Components.PubSub, DaprNames.Topics.DocumentRemovedAtSource)
            .RequireDaprApiToken()
            .AllowAnonymous()
            .ExcludeFromDescription();
    }
}
