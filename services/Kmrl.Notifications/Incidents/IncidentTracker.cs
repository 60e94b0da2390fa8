using Kmrl.BuildingBlocks.State;
using Kmrl.Contracts;
using Kmrl.Notifications.Delivery;

namespace Kmrl.Notifications.Incidents;

/// <summary>One source's failure history: incidents are numbered, so each opens and closes once.</summary>
public sealed record IncidentState(
    string Connector,
    string Source,
    int Number,
    bool Open,
    DateTimeOffset OpenedAt,
    DateTimeOffset? ClosedAt,
    int FailedRuns,
    string LastError)
{
    /// <summary>The last report of a condition that has no end event (<see cref="QuietIncidents"/>): it closes once quiet.</summary>
    public DateTimeOffset? LastSeenAt { get; init; }

    /// <summary>
    /// The reports counted in this incident (<see cref="QuietIncidents"/>), newest last and bounded, so a redelivered
    /// one is not counted again.
    /// </summary>
    public IReadOnlyList<string>? Occurrences { get; init; }
}

/// <summary>
/// Turns ConnectorSyncFailed (published every few failed runs) and ConnectorSyncRecovered into one alert per incident
/// and one recovery message when it clears. The incident lives in the state store, so replicas and redeliveries
/// agree; the messages are sent through the dispatcher's ledger, so a redelivered event sends nothing again.
/// </summary>
public sealed class IncidentTracker(IStateStore store, NotificationDispatcher dispatcher)
{
    private const int MaxAttempts = 16;

    public static string Key(string connector, string source) => "incident:" + StateKeyHash.Of(connector + "\n" + source);

    public static string OpenedMessageId(IncidentState incident) => $"incident:{incident.Connector}:{incident.Source}:{incident.Number}:opened";

    public static string RecoveredMessageId(IncidentState incident) => $"incident:{incident.Connector}:{incident.Source}:{incident.Number}:recovered";

    public async Task FailedAsync(ConnectorSyncFailed failed, CancellationToken cancellationToken)
    {
        var (incident, _) = await store.UpdateAsync<IncidentState>(Key(failed.Connector, failed.Source), current => current switch
        {
            { Open: true } when current.FailedRuns < failed.ConsecutiveFailures =>
                current with { FailedRuns = failed.ConsecutiveFailures, LastError = failed.Error },
            { Open: true } => null,
            // A failure from before the last recovery arrived late: that incident is over.
            { ClosedAt: { } closed } when failed.FailedAt <= closed => null,
            _ => new IncidentState(failed.Connector, failed.Source, (current?.Number ?? 0) + 1, true, failed.FailedAt, null,
                failed.ConsecutiveFailures, failed.Error),
        }, MaxAttempts, cancellationToken);
        if (incident is { Open: true })
        {
            await dispatcher.SendOnceAsync(MessageTexts.IncidentOpened(OpenedMessageId(incident), incident.Connector, incident.Source,
                incident.Number, incident.FailedRuns, incident.LastError, incident.OpenedAt), cancellationToken);
        }
    }

    public async Task RecoveredAsync(ConnectorSyncRecovered recovered, CancellationToken cancellationToken)
    {
        var (incident, _) = await store.UpdateAsync<IncidentState>(Key(recovered.Connector, recovered.Source), current =>
            current is { Open: true } && recovered.RecoveredAt >= current.OpenedAt
                ? current with { Open = false, ClosedAt = recovered.RecoveredAt, FailedRuns = Math.Max(current.FailedRuns, recovered.FailedRuns) }
                : null,
            MaxAttempts, cancellationToken);
        // Also when this delivery did not close it: a redelivery after a failed send must still send once.
        if (incident is { Open: false, ClosedAt: { } closedAt })
        {
            await dispatcher.SendOnceAsync(MessageTexts.IncidentRecovered(RecoveredMessageId(incident), incident.Connector, incident.Source,
                incident.Number, incident.FailedRuns, incident.OpenedAt, closedAt), cancellationToken);
        }
    }
}
