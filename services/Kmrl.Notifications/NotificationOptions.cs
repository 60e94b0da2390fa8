using System.ComponentModel.DataAnnotations;
using Kmrl.Contracts;

namespace Kmrl.Notifications;

/// <summary>Section <c>Notifications</c>: schedules, departments and channels. Recipients live in the secret store.</summary>
public sealed class NotificationOptions
{
    public const string SectionName = "Notifications";

    /// <summary>Where the digest hour and the reminder days are counted (KMRL works in IST).</summary>
    [Required]
    public string TimeZone { get; set; } = "Asia/Kolkata";

    /// <summary>The local hour from which a department's digest of the day before is sent.</summary>
    [Range(0, 23)]
    public int DigestHour { get; set; } = 8;

    /// <summary>How long before a deadline each reminder goes out; every lead time sends once until acknowledged.</summary>
    [MinLength(1)]
    public List<TimeSpan> ReminderLeadTimes { get; set; } = [];

    /// <summary>Departments with a routing topic (<c>documents-for-&lt;name&gt;</c>) the service subscribes to.</summary>
    public List<string> Departments { get; set; } = [];

    /// <summary>Output bindings each message goes to (<see cref="DaprNames.NotificationBindings"/>); each is sent once.</summary>
    [MinLength(1)]
    public List<string> Channels { get; set; } = [];

    /// <summary>The secret whose keys are audiences (<c>operations</c>, a department) and values ';'-separated addresses.</summary>
    [Required]
    public string RecipientsSecret { get; set; } = DaprNames.Secrets.NotificationRecipients;

    /// <summary>A document's page for people, <c>{0}</c> the document id.</summary>
    [Required]
    public string DocumentLinkTemplate { get; set; } = string.Empty;

    /// <summary>The acknowledgement page of a deadline, <c>{0}</c> its id and <c>{1}</c> its token.</summary>
    [Required]
    public string AcknowledgeLinkTemplate { get; set; } = string.Empty;

    /// <summary>A claimed send that never completed (the process died mid-send) may be taken over after this.</summary>
    public TimeSpan SendClaimTimeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>A backlog incident closes once no replica has reported one for this long (document-api reports every minute).</summary>
    public TimeSpan BacklogClearAfter { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>A dead-letter incident closes once no document has been dead-lettered for this long (the alert rule's hour).</summary>
    public TimeSpan DeadLettersClearAfter { get; set; } = TimeSpan.FromHours(1);

    /// <summary>A deadline this far in the past is no longer reminded of and leaves the index.</summary>
    public TimeSpan ForgetDeadlinesAfter { get; set; } = TimeSpan.FromDays(2);

    public TimeZoneInfo Zone() => TimeZoneInfo.FindSystemTimeZoneById(TimeZone);

    /// <summary>The instant <paramref name="day"/> reaches <paramref name="hour"/> o'clock in <see cref="TimeZone"/>.</summary>
    public DateTimeOffset LocalInstant(DateOnly day, int hour)
    {
        var local = day.ToDateTime(new TimeOnly(hour, 0));
        return new DateTimeOffset(local, Zone().GetUtcOffset(local));
    }

    public DateOnly LocalDate(DateTimeOffset at) => DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(at, Zone()).DateTime);
}
