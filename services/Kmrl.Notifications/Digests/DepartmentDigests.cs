using System.Globalization;
using Kmrl.BuildingBlocks.State;
using Kmrl.Contracts;
using Kmrl.Notifications.Delivery;
using Kmrl.Notifications.Ports;
using Microsoft.Extensions.Options;

namespace Kmrl.Notifications.Digests;

public sealed record DigestEntry(string DocumentId, string FileName, string DocumentType, string Summary, DateTimeOffset RoutedAt);

/// <summary>The documents one department's digest of one day lists.</summary>
public sealed record DigestBucket(string Department, DateOnly Date, IReadOnlyList<DigestEntry> Entries);

/// <summary>
/// Collects the documents routed to each department (<c>documents-for-&lt;department&gt;</c>) into the digest they
/// belong to, and sends each department's digest once a day from the digest hour. A document routed before the hour
/// goes into that day's digest, after it into the next day's, so no document falls between two digests. The tick
/// looks back one day too, so a digest whose hour passed while the service was down still goes out.
/// </summary>
public sealed class DepartmentDigests(IStateStore store, NotificationDispatcher dispatcher, IOptions<NotificationOptions> options, TimeProvider time)
{
    private const int MaxAttempts = 32;

    public static string Key(string department, DateOnly date) =>
        $"digest:{StateKeyHash.Of(department)}:{date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)}";

    public static string MessageIdOf(string department, DateOnly date) =>
        $"digest:{department}:{date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)}";

    public async Task RoutedAsync(DocumentRouted routed, CancellationToken cancellationToken)
    {
        var date = DigestDateOf(routed.RoutedAt);
        var entry = new DigestEntry(routed.DocumentId, routed.FileName, routed.DocumentType, routed.Summary, routed.RoutedAt);
        await store.UpdateAsync<DigestBucket>(Key(routed.Department, date), bucket =>
            bucket is not null && bucket.Entries.Any(e => e.DocumentId == routed.DocumentId) ? null
                : new DigestBucket(routed.Department, date, [.. bucket?.Entries ?? [], entry]),
            MaxAttempts, cancellationToken);
    }

    /// <summary>Sends every digest whose hour has come (today's and yesterday's); returns how many sends happened.</summary>
    public async Task<int> TickAsync(CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var now = time.GetUtcNow();
        var today = settings.LocalDate(now);
        var sent = 0;
        foreach (var date in new[] { today.AddDays(-1), today }.Where(d => now >= DigestTime(d)))
        {
            foreach (var department in settings.Departments)
            {
                var bucket = (await store.GetAsync<DigestBucket>(Key(department, date), cancellationToken))?.Value;
                if (bucket is null || bucket.Entries.Count == 0)
                {
                    continue;
                }
                var items = bucket.Entries.OrderBy(e => e.RoutedAt).Select(e => new MessageItem(
                    e.FileName,
                    string.Format(CultureInfo.InvariantCulture, settings.DocumentLinkTemplate, Uri.EscapeDataString(e.DocumentId)),
                    $"{e.DocumentType}: {e.Summary}")).ToList();
                sent += await dispatcher.SendOnceAsync(MessageTexts.Digest(MessageIdOf(department, date), department, date, items), cancellationToken);
            }
        }
        return sent;
    }

    /// <summary>The digest a document routed at <paramref name="routedAt"/> belongs to: the first digest time after it.</summary>
    public DateOnly DigestDateOf(DateTimeOffset routedAt)
    {
        var day = options.Value.LocalDate(routedAt);
        return routedAt < DigestTime(day) ? day : day.AddDays(1);
    }

    private DateTimeOffset DigestTime(DateOnly day) => options.Value.LocalInstant(day, options.Value.DigestHour);
}
