using Kmrl.BuildingBlocks.State;

namespace Kmrl.Notifications.Incidents;

/// <summary>
/// Incidents of a condition that is reported by events and has no event that says it ended (a backlog past its
/// depth, dead letters that keep arriving), with <see cref="IncidentTracker"/>'s numbered record: the first report
/// opens incident n, later ones are counted in it, and it closes once no report has come for a quiet period. A report
/// names its occurrence (a dead letter's id and time, a replica's report time), so a redelivered one is counted once
/// in the open incident; a report from before the last close (arriving late) is ignored. The caller sends the messages through the
/// dispatcher's ledger, which sends each once.
/// </summary>
public sealed class QuietIncidents(IStateStore store)
{
    private const int MaxAttempts = 16;

    /// <summary>How many occurrences an incident remembers: redeliveries come within minutes, not after hundreds of reports.</summary>
    public const int RememberedOccurrences = 200;

    /// <summary>Counts one report at <paramref name="at"/>; returns the incident when it is open after it (the caller sends its alert, once by id).</summary>
    public async Task<IncidentState?> RaiseAsync(string key, string subject, string condition, string occurrence, string detail, DateTimeOffset at,
        CancellationToken cancellationToken)
    {
        var (incident, _) = await store.UpdateAsync<IncidentState>(key, current => current switch
        {
            // Already counted: a redelivery.
            { Open: true } when current.Occurrences?.Contains(occurrence, StringComparer.Ordinal) == true => null,
            { Open: true } => current with
            {
                FailedRuns = current.FailedRuns + 1,
                LastError = detail,
                LastSeenAt = at > (current.LastSeenAt ?? current.OpenedAt) ? at : current.LastSeenAt,
                Occurrences = [.. (current.Occurrences ?? []).TakeLast(RememberedOccurrences - 1), occurrence],
            },
            // A report from before the last recovery arrived late: that incident is over.
            { ClosedAt: { } closed } when at <= closed => null,
            _ => new IncidentState(subject, condition, (current?.Number ?? 0) + 1, true, at, null, 1, detail) { LastSeenAt = at, Occurrences = [occurrence] },
        }, MaxAttempts, cancellationToken);
        return incident is { Open: true } ? incident : null;
    }

    /// <summary>
    /// Closes the incident at <paramref name="key"/> when it has been quiet for <paramref name="quiet"/>; returns it when
    /// it is closed, now or at an earlier tick whose recovery send may have failed (the caller sends the recovery, once by id).
    /// </summary>
    public async Task<IncidentState?> CloseIfQuietAsync(string key, TimeSpan quiet, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var (incident, _) = await store.UpdateAsync<IncidentState>(key, current =>
            current is { Open: true } && now - (current.LastSeenAt ?? current.OpenedAt) >= quiet
                ? current with { Open = false, ClosedAt = now }
                : null,
            MaxAttempts, cancellationToken);
        return incident is { Open: false, ClosedAt: not null } ? incident : null;
    }
}
