using Microsoft.Extensions.Localization;

namespace Kmrl.DocumentApi.Ui;

/// <summary>
/// How far behind a connector's source may be, as the operations page shows it: the time since its last completed run
/// (what the mirror may be missing) and since it last handed on a document (a source that runs but finds nothing for
/// days is worth a look). Both come from the connector's own <c>/connector/status</c>.
/// </summary>
public sealed record ConnectorLag(TimeSpan? SinceLastSuccess, TimeSpan? SinceLastDocument, bool Behind)
{
    public static ConnectorLag Of(ConnectorSourceView source, DateTimeOffset now, TimeSpan warnAfter)
    {
        var sinceSuccess = Since(source.LastSuccessAt, now);
        // Never completed, or not for longer than the warning: the page marks it, as the NoSuccessfulRun alert would.
        return new ConnectorLag(sinceSuccess, Since(source.LastDocumentAt, now), sinceSuccess is not { } s || s > warnAfter);
    }

    /// <summary>Whole minutes, hours and minutes, or days and hours: what a person takes in at a glance.</summary>
    public static string Format(TimeSpan? span, IStringLocalizer localizer) => span switch
    {
        null => localizer["Never"],
        { TotalMinutes: < 1 } => localizer["under a minute"],
        { TotalHours: < 1 } s => localizer["{0} min", (int)s.TotalMinutes],
        { TotalDays: < 1 } s => localizer["{0} h {1} min", (int)s.TotalHours, s.Minutes],
        { } s => localizer["{0} days {1} h", (int)s.TotalDays, s.Hours],
    };

    private static TimeSpan? Since(DateTimeOffset? at, DateTimeOffset now) =>
        at is { } then ? (now > then ? now - then : TimeSpan.Zero) : null;
}
