using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Kmrl.BuildingBlocks.PubSub;
using Kmrl.BuildingBlocks.State;
using Kmrl.Contracts;
using Kmrl.Notifications.Delivery;
using Microsoft.Extensions.Options;

namespace Kmrl.Notifications.Deadlines;

/// <summary>A deadline being reminded of; <see cref="Token"/> is what the acknowledgement link carries.</summary>
public sealed record DeadlineState(
    string Id,
    string DocumentId,
    string FileName,
    DateOnly Deadline,
    IReadOnlyList<string> Departments,
    string Token,
    DateTimeOffset? AcknowledgedAt,
    string? AcknowledgedBy)
{
    /// <summary>How it was acknowledged (DeadlineAcknowledged.Via*): announced with it from the link.</summary>
    public string? AcknowledgedVia { get; init; }
}

/// <summary>The deadlines the schedule looks at; each leaves once acknowledged or long past.</summary>
public sealed record DeadlineIndex(IReadOnlyList<string> Ids);

public enum AcknowledgeOutcome
{
    Acknowledged,
    AlreadyAcknowledged,
    NotFound,
    WrongToken,
}

/// <summary>
/// Reminds the departments a document was routed to of its deadline, once per configured lead time (7 days, 1 day
/// before, at the digest hour), until someone acknowledges it. The reminder due is checked when the event arrives and
/// on every tick of the schedule; when several lead times are due at once (a document that arrived late) only the
/// nearest is sent, as the earlier ones would say the same with a wrong day count.
/// The record of who acknowledged is document-api's (beside the document, where the staff pages show it): a staff
/// acknowledgement arrives here as <see cref="DeadlineAcknowledged"/>, and a reminder link's is announced with the
/// same event, so both end up in that one record. Here only "stop reminding" is kept.
/// </summary>
public sealed class DeadlineReminders(
    IStateStore store, NotificationDispatcher dispatcher, IEventPublisher events, IOptions<NotificationOptions> options, TimeProvider time)
{
    /// <summary>Who a reminder link's acknowledgement is recorded as: the link is the credential, not a person.</summary>
    public const string ReminderLinkHolder = "reminder link";

    private const int MaxAttempts = 16;
    public const string IndexKey = "deadlines";

    public static string IdOf(string documentId, DateOnly deadline) =>
        StateKeyHash.Of(documentId + "\n" + deadline.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));

    public static string Key(string id) => "deadline:" + id;

    public static string MessageIdOf(DeadlineState deadline, TimeSpan lead, string department) =>
        $"deadline:{deadline.Id}:{(long)lead.TotalMinutes}:{department}";

    public async Task ApproachingAsync(DocumentDeadlineApproaching approaching, CancellationToken cancellationToken)
    {
        var id = IdOf(approaching.DocumentId, approaching.Deadline);
        var (deadline, _) = await store.UpdateAsync<DeadlineState>(Key(id), current =>
        {
            if (current is null)
            {
                return new DeadlineState(id, approaching.DocumentId, approaching.FileName, approaching.Deadline,
                    [.. approaching.Departments.Distinct(StringComparer.Ordinal)], NewToken(), null, null);
            }
            var departments = current.Departments.Union(approaching.Departments, StringComparer.Ordinal).ToList();
            return departments.Count == current.Departments.Count ? null : current with { Departments = departments };
        }, MaxAttempts, cancellationToken);
        await store.UpdateAsync<DeadlineIndex>(IndexKey, index =>
            index is not null && index.Ids.Contains(id) ? null : new DeadlineIndex([.. index?.Ids ?? [], id]),
            MaxAttempts, cancellationToken);
        await RemindIfDueAsync(deadline!, cancellationToken);
    }

    /// <summary>The schedule's tick: sends every reminder now due, and drops acknowledged and long-past deadlines from the index.</summary>
    public async Task<int> TickAsync(CancellationToken cancellationToken)
    {
        var index = await store.GetAsync<DeadlineIndex>(IndexKey, cancellationToken);
        var finished = new List<string>();
        var sent = 0;
        foreach (var id in index?.Value.Ids ?? [])
        {
            var deadline = (await store.GetAsync<DeadlineState>(Key(id), cancellationToken))?.Value;
            if (deadline is null || deadline.AcknowledgedAt is not null || IsPast(deadline))
            {
                finished.Add(id);
                continue;
            }
            sent += await RemindIfDueAsync(deadline, cancellationToken);
        }
        if (finished.Count > 0)
        {
            await store.UpdateAsync<DeadlineIndex>(IndexKey, current =>
                current is null ? null : new DeadlineIndex([.. current.Ids.Except(finished, StringComparer.Ordinal)]),
                MaxAttempts, cancellationToken);
        }
        return sent;
    }

    /// <summary>
    /// A reminder link's acknowledgement: stops the reminders here, then announces the acknowledgement that stands,
    /// also when it stood before (a publish that failed is repaired by pressing the button again).
    /// </summary>
    public async Task<AcknowledgeOutcome> AcknowledgeByLinkAsync(string id, string token, CancellationToken cancellationToken)
    {
        var outcome = await AcknowledgeAsync(id, token, ReminderLinkHolder, cancellationToken);
        if (outcome is AcknowledgeOutcome.Acknowledged or AcknowledgeOutcome.AlreadyAcknowledged
            && await GetAsync(id, cancellationToken) is { AcknowledgedAt: { } at } deadline)
        {
            await events.PublishAsync(DaprNames.Topics.DeadlineAcknowledged, new DeadlineAcknowledged(deadline.DocumentId, deadline.Deadline,
                deadline.AcknowledgedBy ?? ReminderLinkHolder, deadline.AcknowledgedVia ?? DeadlineAcknowledged.ViaReminderLink, at), cancellationToken);
        }
        return outcome;
    }

    /// <summary>
    /// An acknowledgement announced on pub/sub (the staff pages', or a link's coming back): no more reminders. One
    /// that arrives before the deadline itself leaves a deadline that is acknowledged from the start.
    /// </summary>
    public async Task AcknowledgedAsync(DeadlineAcknowledged acknowledged, CancellationToken cancellationToken)
    {
        var id = IdOf(acknowledged.DocumentId, acknowledged.Deadline);
        await store.UpdateAsync<DeadlineState>(Key(id), current => current switch
        {
            null => new DeadlineState(id, acknowledged.DocumentId, "", acknowledged.Deadline, [], NewToken(),
                acknowledged.AcknowledgedAt, acknowledged.AcknowledgedBy) { AcknowledgedVia = acknowledged.Via },
            { AcknowledgedAt: null } => current with
            {
                AcknowledgedAt = acknowledged.AcknowledgedAt, AcknowledgedBy = acknowledged.AcknowledgedBy, AcknowledgedVia = acknowledged.Via,
            },
            _ => null,
        }, MaxAttempts, cancellationToken);
    }

    public async Task<AcknowledgeOutcome> AcknowledgeAsync(string id, string token, string by, CancellationToken cancellationToken)
    {
        var outcome = AcknowledgeOutcome.NotFound;
        await store.UpdateAsync<DeadlineState>(Key(id), current =>
        {
            if (current is null)
            {
                outcome = AcknowledgeOutcome.NotFound;
                return null;
            }
            if (!CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(token)), SHA256.HashData(Encoding.UTF8.GetBytes(current.Token))))
            {
                outcome = AcknowledgeOutcome.WrongToken;
                return null;
            }
            if (current.AcknowledgedAt is not null)
            {
                outcome = AcknowledgeOutcome.AlreadyAcknowledged;
                return null;
            }
            outcome = AcknowledgeOutcome.Acknowledged;
            return current with { AcknowledgedAt = time.GetUtcNow(), AcknowledgedBy = by, AcknowledgedVia = DeadlineAcknowledged.ViaReminderLink };
        }, MaxAttempts, cancellationToken);
        return outcome;
    }

    public async Task<DeadlineState?> GetAsync(string id, CancellationToken cancellationToken) =>
        (await store.GetAsync<DeadlineState>(Key(id), cancellationToken))?.Value;

    private async Task<int> RemindIfDueAsync(DeadlineState deadline, CancellationToken cancellationToken)
    {
        if (deadline.AcknowledgedAt is not null || IsPast(deadline))
        {
            return 0;
        }
        var settings = options.Value;
        var now = time.GetUtcNow();
        var due = settings.ReminderLeadTimes.Where(lead => now >= DueAt(deadline.Deadline, lead)).Order().Cast<TimeSpan?>().FirstOrDefault();
        if (due is not { } lead)
        {
            return 0;
        }
        var today = settings.LocalDate(now);
        var daysLeft = Math.Max(0, deadline.Deadline.DayNumber - today.DayNumber);
        var sent = 0;
        foreach (var department in deadline.Departments)
        {
            var message = MessageTexts.DeadlineReminder(MessageIdOf(deadline, lead, department), department, deadline.FileName, deadline.Deadline, daysLeft,
                string.Format(CultureInfo.InvariantCulture, settings.DocumentLinkTemplate, Uri.EscapeDataString(deadline.DocumentId)),
                string.Format(CultureInfo.InvariantCulture, settings.AcknowledgeLinkTemplate, deadline.Id, deadline.Token));
            sent += await dispatcher.SendOnceAsync(message, cancellationToken);
        }
        return sent;
    }

    /// <summary>The deadline day at the digest hour, local time, less the lead time.</summary>
    private DateTimeOffset DueAt(DateOnly deadline, TimeSpan lead) => options.Value.LocalInstant(deadline, options.Value.DigestHour) - lead;

    private bool IsPast(DeadlineState deadline) =>
        time.GetUtcNow() > options.Value.LocalInstant(deadline.Deadline.AddDays(1), 0) + options.Value.ForgetDeadlinesAfter;

    private static string NewToken() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
}
