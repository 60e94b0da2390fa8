using System.Globalization;
using Kmrl.Contracts;
using Kmrl.Notifications.Delivery;
using Kmrl.BuildingBlocks.State;
using Microsoft.Extensions.Options;

namespace Kmrl.Notifications.Incidents;

/// <summary>The sources with an open dead-letter incident, so the tick knows which to look at (connectors and sources are not known here).</summary>
public sealed record OpenDeadLetterIncidents(List<DeadLetterSource> Sources);

public sealed record DeadLetterSource(string Connector, string Source);

/// <summary>
/// Connector dead letters (<see cref="ConnectorItemDeadLettered"/>, one per item a connector gave up on) as incidents
/// for operations: one per connector and source, as its sync failures and the <c>KmrlDeadLettersGrowing</c> rule.
/// The first dead letter opens it and mails the alert; later ones, and redeliveries (recognised by dead-letter id and
/// time), change no mail. It clears once the source has dead-lettered nothing for
/// <see cref="NotificationOptions.DeadLettersClearAfter"/> (an hour, the alert rule's window, so mail and page agree),
/// with the recovery message. Not "once the list is empty": a pull source's dead letters cannot be replayed and stay
/// listed until the item changes at the source, so an empty list would never come; what the alert is about is a count
/// that grows, and it has stopped growing.
/// </summary>
public sealed class ConnectorDeadLetterIncidents(
    QuietIncidents incidents,
    IStateStore store,
    NotificationDispatcher dispatcher,
    IOptions<NotificationOptions> options,
    TimeProvider time)
{
    private const int MaxAttempts = 16;
    public const string IndexKey = "incidents:connector-dead-letters-open";

    public static string Key(string connector, string source) => "incident:" + StateKeyHash.Of("dead-letters\n" + connector + "\n" + source);

    /// <summary>Distinct from a sync failure's of the same source (<see cref="IncidentTracker.OpenedMessageId"/>).</summary>
    public static string OpenedMessageId(IncidentState incident) => $"dead-letters:{incident.Connector}:{incident.Source}:{incident.Number}:opened";

    public static string RecoveredMessageId(IncidentState incident) => $"dead-letters:{incident.Connector}:{incident.Source}:{incident.Number}:recovered";

    public async Task DeadLetteredAsync(ConnectorItemDeadLettered item, CancellationToken cancellationToken)
    {
        var occurrence = item.DeadLetterId + "@" + item.DeadLetteredAt.ToString("O", CultureInfo.InvariantCulture);
        var name = string.IsNullOrEmpty(item.FileName) ? item.SourceId : $"{item.FileName} ({item.SourceId})";
        var detail = $"{name}: {item.Reason}, after {item.Attempts} attempts";
        if (await incidents.RaiseAsync(Key(item.Connector, item.Source), item.Connector, item.Source, occurrence, detail, item.DeadLetteredAt,
                cancellationToken) is not { } incident)
        {
            return;
        }
        // Indexed before the alert: an alert that went out always has a recovery to come.
        await IndexAsync(new DeadLetterSource(item.Connector, item.Source), cancellationToken);
        await dispatcher.SendOnceAsync(MessageTexts.ConnectorDeadLettersOpened(OpenedMessageId(incident), incident.Connector, incident.Source,
            incident.Number, incident.LastError, incident.OpenedAt), cancellationToken);
    }

    /// <summary>Closes each indexed incident quiet long enough and sends its recovery (once); returns the sends.</summary>
    public async Task<int> TickAsync(CancellationToken cancellationToken)
    {
        var index = await store.GetAsync<OpenDeadLetterIncidents>(IndexKey, cancellationToken);
        var sent = 0;
        var now = time.GetUtcNow();
        var quiet = options.Value.DeadLettersClearAfter;
        foreach (var source in index?.Value.Sources ?? [])
        {
            var key = Key(source.Connector, source.Source);
            if (await incidents.CloseIfQuietAsync(key, quiet, now, cancellationToken) is not { ClosedAt: { } closedAt } incident)
            {
                continue;
            }
            sent += await dispatcher.SendOnceAsync(MessageTexts.ConnectorDeadLettersRecovered(RecoveredMessageId(incident), incident.Connector,
                incident.Source, incident.Number, incident.FailedRuns, incident.OpenedAt, closedAt, quiet), cancellationToken);
            // Only once the recovery went out (a failed send threw above and stays indexed for the next tick). Removed,
            // then the incident read again: one that opened meanwhile (its writer indexes after opening) goes back in.
            await store.UpdateAsync<OpenDeadLetterIncidents>(IndexKey, current => current is null ? null
                    : new OpenDeadLetterIncidents([.. current.Sources.Where(s => s != source)]),
                MaxAttempts, cancellationToken);
            if ((await store.GetAsync<IncidentState>(key, cancellationToken))?.Value is { Open: true })
            {
                await IndexAsync(source, cancellationToken);
            }
        }
        return sent;
    }

    private Task IndexAsync(DeadLetterSource source, CancellationToken cancellationToken) =>
        store.UpdateAsync<OpenDeadLetterIncidents>(IndexKey, index =>
            index?.Sources.Contains(source) == true ? null : new OpenDeadLetterIncidents([.. index?.Sources ?? [], source]),
            MaxAttempts, cancellationToken);
}
