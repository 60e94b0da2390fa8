using Kmrl.Connectors.Hosting;
using Kmrl.Connectors.Observability;
using Kmrl.Connectors.Ports;
using Kmrl.Connectors.Sync;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Kmrl.Connectors.Apis;

/// <summary>Status of one source as <c>GET /connector/status</c> shows it.</summary>
public sealed record SourceStatusResponse(
    string Source,
    bool Running,
    SyncRunResult? LastRun,
    SyncRunResult? LastSkippedRun,
    DateTimeOffset? LastSuccessAt,
    string? LastError,
    DateTimeOffset? LastErrorAt,
    int ConsecutiveFailures,
    SourceTotals Counts,
    CheckpointSummary? Checkpoint,
    IReadOnlyList<SkippedItem> RecentlySkipped,
    DateTimeOffset? LastDocumentAt = null);

/// <summary>The stored checkpoint: when and by which run, and the start of its (opaque) value.</summary>
public sealed record CheckpointSummary(DateTimeOffset SavedAt, string RunId, string ValuePreview, int ValueLength, bool FromStore);

public sealed record ConnectorStatusResponse(string Connector, string ScheduleBinding, string Health, IReadOnlyList<SourceStatusResponse> Sources);

public sealed record SyncRequestedResponse(IReadOnlyList<string> Sources);

public static class ConnectorHostApi
{
    public const string StatusPath = "/connector/status";
    public const string SyncSuffix = "/sync";
    private const int PreviewLength = 200;

    /// <summary>
    /// Maps the cron binding route (<c>POST /{binding}</c>, Dapr's app token), and for operators (API key with role
    /// <c>operator</c>) <c>GET /connector/status</c>, <c>POST /connector/sources/{source}/sync</c>,
    /// <c>GET /connector/dead-letters</c> and <c>POST /connector/dead-letters/{id}/replay</c>.
    /// </summary>
    public static IEndpointRouteBuilder MapConnectorHostApi(this IEndpointRouteBuilder app)
    {
        var options = app.ServiceProvider.GetRequiredService<IOptions<ConnectorHostOptions>>().Value;
        // No OPTIONS route: the schedule components set direction: input, so daprd does not probe (dapr/dapr
        // pkg/runtime/processor/binding/send.go); a daprd that did probe also takes the 405 a POST-only route gives.
        app.MapPost("/" + options.ScheduleBindingName, ScheduleFired).WithName("ConnectorScheduleFired").RequireDaprApiToken();

        var group = app.MapGroup("/connector").WithTags("Connector").RequireAuthorization(ConnectorSecurity.OperatorPolicy);
        group.MapGet("/status", GetStatusAsync).WithName("GetConnectorStatus");
        group.MapGet("/dead-letters", ConnectorDeadLettersApi.ListAsync).WithName("ListConnectorDeadLetters");
        group.MapPost("/dead-letters/{id}/replay", ConnectorDeadLettersApi.ReplayAsync).WithName("ReplayConnectorDeadLetter");
        // A catch-all, since e-mail sources are named "<mailbox>/<folder>": /connector/sources/ops/INBOX/sync, or
        // with the slash escaped (ops%2FINBOX). A catch-all must end the template, so "/sync" is checked here.
        group.MapPost("/sources/{**sourcePath}", RequestSync).WithName("RequestSourceSync");
        return app;
    }

    /// <summary>
    /// Answers at once: the runs happen in the background, and a run already going absorbs the request. 200, not
    /// 202: daprd accepts any 2xx from an input binding route, but a resiliency policy on the binding counts
    /// anything but 200 as a failure and would fire the schedule again (pkg/runtime/processor/binding/send.go).
    /// </summary>
    internal static Ok<SyncRequestedResponse> ScheduleFired(SyncScheduler scheduler, ILoggerFactory loggerFactory)
    {
        scheduler.RequestAll();
        loggerFactory.CreateLogger(typeof(ConnectorHostApi)).LogInformation("Schedule fired; sync requested for {SourceCount} sources", scheduler.SourceNames.Count);
        return TypedResults.Ok(new SyncRequestedResponse([.. scheduler.SourceNames]));
    }

    internal static Results<Accepted<SyncRequestedResponse>, ProblemHttpResult> RequestSync(string sourcePath, SyncScheduler scheduler)
    {
        if (!sourcePath.EndsWith(SyncSuffix, StringComparison.Ordinal) || sourcePath.Length == SyncSuffix.Length)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Not a sync request",
                detail: "POST /connector/sources/<source name>/sync requests a sync of one source.");
        }
        var sourceName = Uri.UnescapeDataString(sourcePath[..^SyncSuffix.Length]);
        if (!scheduler.Contains(sourceName))
        {
            return TypedResults.Problem(
                statusCode: StatusCodes.Status404NotFound,
                title: "Unknown source",
                detail: $"This connector has no source named '{sourceName}'. Known: {string.Join(", ", scheduler.SourceNames)}.");
        }
        scheduler.Request(sourceName);
        return TypedResults.Accepted((string?)null, new SyncRequestedResponse([sourceName]));
    }

    internal static async Task<Ok<ConnectorStatusResponse>> GetStatusAsync(
        SyncScheduler scheduler,
        ConnectorStatusRegistry status,
        ICheckpointStore checkpoints,
        KeptSourceStates kept,
        ConnectorSyncHealthCheck healthCheck,
        IOptions<ConnectorHostOptions> options,
        ILoggerFactory loggerFactory,
        CancellationToken cancellationToken)
    {
        var connector = options.Value.ConnectorName;
        var sources = new List<SourceStatusResponse>();
        foreach (var name in scheduler.SourceNames.Order(StringComparer.Ordinal))
        {
            var state = status.Get(name);
            var checkpoint = Summary(state.Checkpoint, fromStore: false);
            var lastSuccessAt = state.LastSuccessAt;
            var lastDocumentAt = state.LastDocumentAt;
            try
            {
                // The store knows what other replicas stored; this replica's memory may be behind.
                var stored = await checkpoints.LoadAsync(connector, name, cancellationToken);
                checkpoint = stored is null ? checkpoint : Summary(stored.Checkpoint, fromStore: true);
                // So are the lag's times: any replica, and one just restarted, answers the same.
                if (await kept.ReadAsync(name, cancellationToken) is { } record)
                {
                    lastSuccessAt = KeptSourceStates.Later(lastSuccessAt, record.LastSuccessAt);
                    lastDocumentAt = KeptSourceStates.Later(lastDocumentAt, record.LastDocumentAt);
                }
            }
            catch (Exception exception) when (!cancellationToken.IsCancellationRequested)
            {
                loggerFactory.CreateLogger(typeof(ConnectorHostApi)).LogWarning(exception, "Could not read the checkpoint or kept state of {Source} for the status page", name);
            }
            sources.Add(new SourceStatusResponse(
                name, state.Running, state.LastRun, state.LastSkip, lastSuccessAt, state.LastError, state.LastErrorAt,
                state.ConsecutiveFailures, state.Totals, checkpoint, state.RecentlySkipped, lastDocumentAt));
        }
        var health = await healthCheck.CheckHealthAsync(new Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckContext(), cancellationToken);
        return TypedResults.Ok(new ConnectorStatusResponse(connector, options.Value.ScheduleBindingName, health.Status.ToString(), sources));
    }

    private static CheckpointSummary? Summary(CheckpointRecord? checkpoint, bool fromStore) =>
        checkpoint is null
            ? null
            : new CheckpointSummary(
                checkpoint.SavedAt,
                checkpoint.RunId,
                checkpoint.Value.Length <= PreviewLength ? checkpoint.Value : checkpoint.Value[..PreviewLength],
                checkpoint.Value.Length,
                fromStore);
}
