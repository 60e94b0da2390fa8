using System.Security.Claims;
using Kmrl.DocumentApi.Model;
using Kmrl.DocumentApi.Ports;

namespace Kmrl.DocumentApi.Ui;

public sealed record DeadlineView(DateOnly Date, DeadlineAcknowledgement? Acknowledged);

public sealed record InboxItem(
    string DocumentId, string FileName, string? DocumentType, string? Summary, string? Language, DateTimeOffset ArrivedAt,
    bool IsNew, IReadOnlyList<DeadlineView> Deadlines)
{
    /// <summary>The earliest deadline from today on that nobody has acknowledged yet.</summary>
    public DateOnly? NextOpenDeadline(DateOnly today) =>
        Deadlines.Where(d => d.Acknowledged is null && d.Date >= today).Select(d => (DateOnly?)d.Date).Min();
}

public sealed record InboxView(string Department, DateTimeOffset? LastVisit, IReadOnlyList<InboxItem> Items);

/// <summary>
/// What was routed to a department in the last <see cref="Days"/> days: documents with an open deadline first (soonest
/// first), then the rest newest first, each marked new when it arrived after the person's previous visit.
/// </summary>
public sealed class DepartmentInbox(
    ICatalog catalog, DocumentAccess access, IDeadlineAcknowledgements acknowledgements, IInboxVisits visits, TimeProvider time)
{
    public const int Days = 30;
    public const int MaxItems = 100;

    /// <summary>Null when the caller does not read the department.</summary>
    public async Task<InboxView?> ReadAsync(ClaimsPrincipal user, string department, bool recordVisit, CancellationToken cancellationToken)
    {
        if (!access.ReadsDepartment(user, department)) return null;
        var now = time.GetUtcNow();
        var today = DateOnly.FromDateTime(now.UtcDateTime);
        var person = user.Identity?.Name ?? "unknown";
        var lastVisit = await visits.LastVisitAsync(person, department, cancellationToken);
        var page = await catalog.QueryAsync(
            new DocumentQuery(null, department, null, today.AddDays(-(Days - 1)), today, DocumentStatus.Processed, 1, MaxItems), cancellationToken);
        var items = new List<InboxItem>();
        foreach (var record in page.Items.Where(r => access.CanRead(user, r)))
        {
            var deadlines = (record.KeyFields ?? KeyFields.None).Deadlines.Distinct().Order().ToList();
            var acknowledged = (await acknowledgements.ForAsync(record.DocumentId, deadlines, cancellationToken)).ToDictionary(a => a.Deadline);
            items.Add(new InboxItem(record.DocumentId, record.FileName, record.DocumentType, record.Summary, record.Language, record.CreatedAt,
                lastVisit is null || record.CreatedAt > lastVisit, deadlines.Select(d => new DeadlineView(d, acknowledged.GetValueOrDefault(d))).ToList()));
        }
        var ordered = items
            .OrderBy(i => i.NextOpenDeadline(today) is null)
            .ThenBy(i => i.NextOpenDeadline(today))
            .ThenByDescending(i => i.ArrivedAt)
            .ToList();
        if (recordVisit)
        {
            await visits.RecordVisitAsync(person, department, now, cancellationToken);
        }
        return new InboxView(department, lastVisit, ordered);
    }
}
