using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Kmrl.Contracts;
using Kmrl.Notifications.Delivery;
using Kmrl.ServiceDefaults.State;
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
    string? AcknowledgedBy);

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
/// </summary>
public sealed class DeadlineReminders(IStateStore store, NotificationDispatcher dispatcher, IOptions<NotificationOptions> options, TimeProvider time)
{
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
            return current with { AcknowledgedAt = time.GetUtcNow(), AcknowledgedBy = by };
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
