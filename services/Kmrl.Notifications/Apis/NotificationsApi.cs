using System.Net;
using Dapr;
using Kmrl.Contracts;
using Kmrl.Notifications.Deadlines;
using Kmrl.Notifications.Digests;
using Kmrl.Notifications.Incidents;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace Kmrl.Notifications.Apis;

public sealed record TickResponse(int RemindersSent, int DigestsSent, int RecoveriesSent);

public sealed record AcknowledgeResponse(string DeadlineId, string DocumentId, DateOnly Deadline, DateTimeOffset AcknowledgedAt);

public static class NotificationsApi
{
    public const string EventsPrefix = "/events/";
    public const string AcknowledgePath = "/notifications/deadlines/{id}/acknowledge";

    /// <summary>
    /// The subscriptions (daprd, app token), the schedule's route (daprd, app token), and the acknowledgement page a
    /// reminder links to (its token is the credential: whoever got the mail may acknowledge).
    /// </summary>
    public static WebApplication MapNotificationsApi(this WebApplication app)
    {
        app.UseCloudEvents();
        app.MapSubscribeHandler();

        app.MapPost(EventsPrefix + DaprNames.Topics.ConnectorSyncFailed, SyncFailedAsync)
            .WithTopic(DaprNames.Components.PubSub, DaprNames.Topics.ConnectorSyncFailed).RequireDaprApiToken();
        app.MapPost(EventsPrefix + DaprNames.Topics.ConnectorSyncRecovered, SyncRecoveredAsync)
            .WithTopic(DaprNames.Components.PubSub, DaprNames.Topics.ConnectorSyncRecovered).RequireDaprApiToken();
        app.MapPost(EventsPrefix + DaprNames.Topics.DocumentDeadlineApproaching, DeadlineApproachingAsync)
            .WithTopic(DaprNames.Components.PubSub, DaprNames.Topics.DocumentDeadlineApproaching).RequireDaprApiToken();
        app.MapPost(EventsPrefix + DaprNames.Topics.DeadlineAcknowledged, DeadlineAcknowledgedAsync)
            .WithTopic(DaprNames.Components.PubSub, DaprNames.Topics.DeadlineAcknowledged).RequireDaprApiToken();
        app.MapPost(EventsPrefix + DaprNames.Topics.PipelineBacklogHigh, BacklogHighAsync)
            .WithTopic(DaprNames.Components.PubSub, DaprNames.Topics.PipelineBacklogHigh).RequireDaprApiToken();
        // Its own consumer group (daprd's per app id), so document-api still gets every dead letter to list and replay.
        app.MapPost(EventsPrefix + DaprNames.Topics.DocumentDiscoveredDeadLetter, DeadLetteredAsync)
            .WithTopic(DaprNames.Components.PubSub, DaprNames.Topics.DocumentDiscoveredDeadLetter).RequireDaprApiToken();
        app.MapPost(EventsPrefix + DaprNames.Topics.ConnectorItemDeadLettered, ConnectorDeadLetteredAsync)
            .WithTopic(DaprNames.Components.PubSub, DaprNames.Topics.ConnectorItemDeadLettered).RequireDaprApiToken();
        foreach (var department in app.Services.GetRequiredService<IOptions<NotificationOptions>>().Value.Departments)
        {
            var topic = DaprNames.Topics.ForDepartment(department);
            app.MapPost(EventsPrefix + topic, DocumentRoutedAsync).WithTopic(DaprNames.Components.PubSub, topic).RequireDaprApiToken();
        }

        // direction: input in the component, so daprd does not probe with OPTIONS (as the connectors' schedules).
        app.MapPost("/" + DaprNames.NotificationBindings.Schedule, ScheduleFiredAsync).RequireDaprApiToken();

        app.MapGet(AcknowledgePath, AcknowledgePage);
        app.MapPost(AcknowledgePath, AcknowledgeAsync).DisableAntiforgery();
        return app;
    }

    public static async Task<Ok> SyncFailedAsync(ConnectorSyncFailed failed, IncidentTracker incidents, CancellationToken cancellationToken)
    {
        await incidents.FailedAsync(failed, cancellationToken);
        return TypedResults.Ok();
    }

    public static async Task<Ok> SyncRecoveredAsync(ConnectorSyncRecovered recovered, IncidentTracker incidents, CancellationToken cancellationToken)
    {
        await incidents.RecoveredAsync(recovered, cancellationToken);
        return TypedResults.Ok();
    }

    public static async Task<Ok> DeadlineApproachingAsync(DocumentDeadlineApproaching approaching, DeadlineReminders reminders, CancellationToken cancellationToken)
    {
        await reminders.ApproachingAsync(approaching, cancellationToken);
        return TypedResults.Ok();
    }

    public static async Task<Ok> DeadlineAcknowledgedAsync(DeadlineAcknowledged acknowledged, DeadlineReminders reminders, CancellationToken cancellationToken)
    {
        await reminders.AcknowledgedAsync(acknowledged, cancellationToken);
        return TypedResults.Ok();
    }

    public static async Task<Ok> BacklogHighAsync(PipelineBacklogHigh report, PipelineIncidents incidents, CancellationToken cancellationToken)
    {
        await incidents.BacklogHighAsync(report, cancellationToken);
        return TypedResults.Ok();
    }

    public static async Task<Ok> DeadLetteredAsync(DocumentDiscovered discovered, PipelineIncidents incidents, CancellationToken cancellationToken)
    {
        await incidents.DeadLetteredAsync(discovered, cancellationToken);
        return TypedResults.Ok();
    }

    public static async Task<Ok> ConnectorDeadLetteredAsync(ConnectorItemDeadLettered item, ConnectorDeadLetterIncidents incidents, CancellationToken cancellationToken)
    {
        await incidents.DeadLetteredAsync(item, cancellationToken);
        return TypedResults.Ok();
    }

    public static async Task<Ok> DocumentRoutedAsync(DocumentRouted routed, DepartmentDigests digests, CancellationToken cancellationToken)
    {
        await digests.RoutedAsync(routed, cancellationToken);
        return TypedResults.Ok();
    }

    /// <summary>200, not 202: a resiliency policy on the binding counts anything else as a failure (as the connectors' schedule).</summary>
    public static async Task<Ok<TickResponse>> ScheduleFiredAsync(
        DeadlineReminders reminders, DepartmentDigests digests, PipelineIncidents incidents, ConnectorDeadLetterIncidents deadLetters,
        CancellationToken cancellationToken)
    {
        var remindersSent = await reminders.TickAsync(cancellationToken);
        var digestsSent = await digests.TickAsync(cancellationToken);
        var recoveriesSent = await incidents.TickAsync(cancellationToken) + await deadLetters.TickAsync(cancellationToken);
        return TypedResults.Ok(new TickResponse(remindersSent, digestsSent, recoveriesSent));
    }

    /// <summary>
    /// A page with a button, not an acknowledgement: mail scanners open links, and a GET that acknowledged would
    /// silence reminders nobody read.
    /// </summary>
    public static ContentHttpResult AcknowledgePage(string id, string? token) =>
        TypedResults.Content(
            "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>Acknowledge deadline</title></head><body>"
            + $"<form method=\"post\"><input type=\"hidden\" name=\"token\" value=\"{WebUtility.HtmlEncode(token ?? "")}\">"
            + "<p>Stop the reminders for this deadline? / ഈ സമയപരിധിയുടെ ഓർമ്മപ്പെടുത്തലുകൾ നിർത്തണോ?</p>"
            + "<button type=\"submit\">Acknowledge / കൈപ്പറ്റി</button></form></body></html>",
            "text/html; charset=utf-8");

    public static async Task<Results<Ok<AcknowledgeResponse>, ProblemHttpResult>> AcknowledgeAsync(
        string id, HttpRequest request, DeadlineReminders reminders, CancellationToken cancellationToken)
    {
        string? token = request.Query["token"];
        if (string.IsNullOrEmpty(token) && request.HasFormContentType)
        {
            token = (await request.ReadFormAsync(cancellationToken))["token"];
        }
        if (string.IsNullOrEmpty(token))
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest, title: "No token",
                detail: "The acknowledgement link of a reminder carries a token; use the link from the message.");
        }
        var outcome = await reminders.AcknowledgeByLinkAsync(id, token, cancellationToken);
        if (outcome is AcknowledgeOutcome.NotFound or AcknowledgeOutcome.WrongToken)
        {
            // The same answer for both, so a guessed id does not learn whether it exists.
            return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Unknown deadline or token");
        }
        var deadline = (await reminders.GetAsync(id, cancellationToken))!;
        return TypedResults.Ok(new AcknowledgeResponse(deadline.Id, deadline.DocumentId, deadline.Deadline, deadline.AcknowledgedAt!.Value));
    }
}
