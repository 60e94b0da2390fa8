using System.Globalization;
using System.Security.Claims;
using Dapr;
using Kmrl.Contracts;
using Kmrl.DocumentApi.Adapters;
using Kmrl.DocumentApi.Extensions;
using Kmrl.DocumentApi.Model;
using Kmrl.DocumentApi.Ports;
using Kmrl.DocumentApi.Security;
using Kmrl.DocumentApi.Ui;
using Kmrl.ServiceDefaults.Security;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace Kmrl.DocumentApi.Apis;

public sealed record DocumentDeadlines(string DocumentId, IReadOnlyList<DeadlineView> Deadlines);

/// <summary>
/// A department's inbox and the acknowledgement of deadlines, for people (scoped to their departments) and machines.
/// A document the caller does not read answers 404, as one that does not exist.
/// </summary>
public static class InboxApi
{
    public const string AcknowledgedRoute = "/dapr/events/" + DaprNames.Topics.DeadlineAcknowledged;

    public static WebApplication MapInboxApi(this WebApplication app)
    {
        var role = app.Services.GetRequiredService<IOptions<DocumentApiRoleOptions>>().Value;
        if (role.RunsPipeline)
        {
            // A reminder link's acknowledgement (notifications) and our own, coming back: the first one stands.
            app.MapPost(AcknowledgedRoute, DeadlineAcknowledgedAsync)
                .WithTopic(DaprNames.Components.PubSub, DaprNames.Topics.DeadlineAcknowledged)
                .RequireDaprApiToken()
                .AllowAnonymous()
                .ExcludeFromDescription();
        }
        if (!role.ServesApi) return app;
        app.MapGet("/inbox/{department}", GetInboxAsync).WithTags("Inbox").RequireAuthorization(StaffPolicies.Search);
        app.MapGet("/documents/{id}/deadlines", GetDeadlinesAsync).WithTags("Inbox").RequireAuthorization(StaffPolicies.Search);
        app.MapPost("/documents/{id}/deadlines/{deadline}/acknowledgement", AcknowledgeAsync).WithTags("Inbox")
            .RequireAuthorization(StaffPolicies.Acknowledge)
            .AddEndpointFilter(CookieAntiforgery.ValidateAsync);
        return app;
    }

    /// <summary>
    /// Records an acknowledgement announced on pub/sub unless one stands; never announces it again (this route's own
    /// announcements come back here). A malformed one is dropped: a retry would not mend it.
    /// </summary>
    public static async Task<Ok<SubscriptionReply>> DeadlineAcknowledgedAsync(
        DeadlineAcknowledged acknowledged, StateStoreStaffRecords records, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(acknowledged.DocumentId) || string.IsNullOrWhiteSpace(acknowledged.AcknowledgedBy))
        {
            return TypedResults.Ok(SubscriptionReply.Drop);
        }
        await records.AcknowledgeAsync(new DeadlineAcknowledgement(acknowledged.DocumentId, acknowledged.Deadline,
            acknowledged.AcknowledgedBy, acknowledged.AcknowledgedAt, acknowledged.Via), cancellationToken);
        return TypedResults.Ok(SubscriptionReply.Success);
    }

    public static async Task<Results<Ok<InboxView>, ProblemHttpResult>> GetInboxAsync(
        string department, ClaimsPrincipal user, DepartmentInbox inbox, CancellationToken cancellationToken) =>
        await inbox.ReadAsync(user, department, recordVisit: false, cancellationToken) is { } view
            ? TypedResults.Ok(view)
            : UploadHandlers.Problem(StatusCodes.Status404NotFound, $"No inbox {department} for you.");

    public static async Task<Results<Ok<DocumentDeadlines>, ProblemHttpResult>> GetDeadlinesAsync(
        string id, ClaimsPrincipal user, ICatalog catalog, DocumentAccess access, IDeadlineAcknowledgements acknowledgements,
        CancellationToken cancellationToken)
    {
        var record = await catalog.GetAsync(id, cancellationToken);
        if (record is null || !access.CanRead(user, record)) return NotFound(id);
        var deadlines = (record.KeyFields ?? KeyFields.None).Deadlines.Distinct().Order().ToList();
        var acknowledged = (await acknowledgements.ForAsync(id, deadlines, cancellationToken)).ToDictionary(a => a.Deadline);
        return TypedResults.Ok(new DocumentDeadlines(id, deadlines.Select(d => new DeadlineView(d, acknowledged.GetValueOrDefault(d))).ToList()));
    }

    /// <summary>
    /// Records who acknowledged the deadline and when (the first acknowledgement stands). A person must be a
    /// department admin of a department the document is routed to, or operations or administrator.
    /// </summary>
    public static async Task<Results<Ok<DeadlineAcknowledgement>, ProblemHttpResult>> AcknowledgeAsync(
        string id, string deadline, ClaimsPrincipal user, ICatalog catalog, DocumentAccess access,
        IDeadlineAcknowledgements acknowledgements, TimeProvider time, CancellationToken cancellationToken)
    {
        if (!DateOnly.TryParseExact(deadline, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
        {
            return UploadHandlers.Problem(StatusCodes.Status400BadRequest, "The deadline is a date, yyyy-MM-dd.");
        }
        var record = await catalog.GetAsync(id, cancellationToken);
        if (record is null || !access.CanRead(user, record)) return NotFound(id);
        if (!(record.KeyFields ?? KeyFields.None).Deadlines.Contains(date))
        {
            return UploadHandlers.Problem(StatusCodes.Status404NotFound, $"Document {id} has no deadline {deadline}.");
        }
        if (user.IsStaff() && !user.ReadsAllDepartments()
            && !(user.IsInRole(StaffRoles.DepartmentAdmin) && record.Departments.Any(user.Departments().Contains)))
        {
            return UploadHandlers.Problem(StatusCodes.Status403Forbidden, "Only a department admin of a department the document is routed to acknowledges its deadlines.");
        }
        var by = user.Identity?.Name ?? "unknown";
        return TypedResults.Ok(await acknowledgements.AcknowledgeAsync(new DeadlineAcknowledgement(id, date, by, time.GetUtcNow()), cancellationToken));
    }

    private static ProblemHttpResult NotFound(string id) => UploadHandlers.Problem(StatusCodes.Status404NotFound, $"No document {id}.");
}
