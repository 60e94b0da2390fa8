using System.Globalization;

namespace Kmrl.Dapr.Testing.Components;

/// <summary>
/// A bindings.cron schedule, parsed as components-contrib bindings/cron/cron.go parses it: dapr/kit's fork of
/// robfig/cron with <c>SecondOptional | Minute | Hour | Dom | Month | Dow | Descriptor</c>. So five fields
/// (minute first) or six (seconds first), <c>*</c> <c>?</c> ranges, steps, lists and JAN/MON names, the
/// descriptors <c>@yearly @annually @monthly @weekly @daily @midnight @hourly</c> and <c>@every &lt;duration&gt;</c>
/// (rounded down to whole seconds, at least one), and an optional <c>CRON_TZ=</c>/<c>TZ=</c> prefix; otherwise the
/// sidecar's local time zone (cron.New's default). Day of month and day of week are OR-ed when both are restricted.
/// </summary>
public sealed class CronSchedule
{
    private static readonly string[] Months = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];
    private static readonly string[] Days = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

    private readonly TimeSpan? _every;
    private readonly ulong _seconds, _minutes, _hours, _dom, _months, _dow;
    private readonly bool _domStar, _dowStar;
    private readonly TimeZoneInfo _zone;

    private CronSchedule(TimeSpan every, TimeZoneInfo zone)
    {
        _every = every;
        _zone = zone;
    }

    private CronSchedule(ulong seconds, ulong minutes, ulong hours, ulong dom, ulong months, ulong dow, bool domStar, bool dowStar, TimeZoneInfo zone)
    {
        (_seconds, _minutes, _hours, _dom, _months, _dow, _domStar, _dowStar, _zone) = (seconds, minutes, hours, dom, months, dow, domStar, dowStar, zone);
    }

    public string Text { get; private init; } = string.Empty;

    /// <summary>Parses a schedule or throws <see cref="FormatException"/> with the reason, as Init reports "invalid schedule format".</summary>
    public static CronSchedule Parse(string text)
    {
        var spec = text.Trim();
        var zone = TimeZoneInfo.Local;
        if (spec.StartsWith("TZ=", StringComparison.Ordinal) || spec.StartsWith("CRON_TZ=", StringComparison.Ordinal))
        {
            var end = spec.IndexOf(' ', StringComparison.Ordinal);
            if (end < 0)
            {
                throw new FormatException("provided bad location");
            }
            zone = TimeZoneInfo.FindSystemTimeZoneById(spec[(spec.IndexOf('=', StringComparison.Ordinal) + 1)..end]);
            spec = spec[end..].Trim();
        }
        if (spec.StartsWith('@'))
        {
            return Descriptor(spec, zone);
        }
        var fields = spec.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (fields.Length == 5)
        {
            fields = ["0", .. fields];
        }
        if (fields.Length != 6)
        {
            throw new FormatException($"expected 5 to 6 fields, found {fields.Length}: {spec}");
        }
        return new CronSchedule(
            Field(fields[0], 0, 59, null), Field(fields[1], 0, 59, null), Field(fields[2], 0, 23, null),
            Field(fields[3], 1, 31, null), Field(fields[4], 1, 12, Months), Field(fields[5], 0, 6, Days),
            IsStar(fields[3]), IsStar(fields[5]), zone) { Text = text };
    }

    /// <summary>The first fire time strictly after <paramref name="after"/>.</summary>
    public DateTimeOffset Next(DateTimeOffset after)
    {
        if (_every is { } every)
        {
            // ConstantDelaySchedule.Next: t + delay, with t's fraction of a second dropped.
            var whole = new DateTimeOffset(after.Ticks - (after.Ticks % TimeSpan.TicksPerSecond), after.Offset);
            return whole + every;
        }
        var t = TimeZoneInfo.ConvertTime(after, _zone);
        t = new DateTimeOffset(t.Ticks - (t.Ticks % TimeSpan.TicksPerSecond), t.Offset).AddSeconds(1);
        var limit = t.AddYears(5);
        while (t < limit)
        {
            if (!Has(_months, t.Month))
            {
                t = Local(t.Year, t.Month, 1).AddMonths(1);
                continue;
            }
            if (!DayMatches(t))
            {
                t = Local(t.Year, t.Month, t.Day).AddDays(1);
                continue;
            }
            if (!Has(_hours, t.Hour))
            {
                t = Local(t.Year, t.Month, t.Day, t.Hour).AddHours(1);
                continue;
            }
            if (!Has(_minutes, t.Minute))
            {
                t = Local(t.Year, t.Month, t.Day, t.Hour, t.Minute).AddMinutes(1);
                continue;
            }
            if (!Has(_seconds, t.Second))
            {
                t = t.AddSeconds(1);
                continue;
            }
            return t;
        }
        throw new InvalidOperationException($"Schedule '{Text}' never fires.");
    }

    private DateTimeOffset Local(int year, int month, int day, int hour = 0, int minute = 0)
    {
        var local = new DateTime(year, month, day, hour, minute, 0, DateTimeKind.Unspecified);
        return new DateTimeOffset(local, _zone.GetUtcOffset(local));
    }

    private bool DayMatches(DateTimeOffset t)
    {
        var dom = Has(_dom, t.Day);
        var dow = Has(_dow, (int)t.DayOfWeek);
        return _domStar || _dowStar ? dom && dow : dom || dow;
    }

    private static bool Has(ulong bits, int value) => (bits & (1UL << value)) != 0;

    private static bool IsStar(string field) => field.StartsWith('*') || field.StartsWith('?');

    private static CronSchedule Descriptor(string spec, TimeZoneInfo zone)
    {
        if (spec.StartsWith("@every ", StringComparison.Ordinal))
        {
            TimeSpan duration;
            try
            {
                duration = ResourceLoader.ParseDuration(spec["@every ".Length..].Trim());
            }
            catch (FormatException exception)
            {
                throw new FormatException($"failed to parse duration {spec}: {exception.Message}");
            }
            // cron.Every: below a second becomes one second; otherwise rounded down to whole seconds.
            var seconds = Math.Max(1, (long)Math.Floor(duration.TotalSeconds));
            return new CronSchedule(TimeSpan.FromSeconds(seconds), zone) { Text = spec };
        }
        var expanded = spec switch
        {
            "@yearly" or "@annually" => "0 0 0 1 1 *",
            "@monthly" => "0 0 0 1 * *",
            "@weekly" => "0 0 0 * * 0",
            "@daily" or "@midnight" => "0 0 0 * * *",
            "@hourly" => "0 0 * * * *",
            _ => throw new FormatException($"unrecognized descriptor: {spec}"),
        };
        var parsed = Parse(expanded);
        return new CronSchedule(parsed._seconds, parsed._minutes, parsed._hours, parsed._dom, parsed._months, parsed._dow,
            parsed._domStar, parsed._dowStar, zone) { Text = spec };
    }

    private static ulong Field(string field, int min, int max, string[]? names)
    {
        ulong bits = 0;
        foreach (var part in field.Split(','))
        {
            var (range, step) = part.Split('/') switch
            {
                [var r] => (r, 1),
                [var r, var s] when int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0 => (r, n),
                _ => throw new FormatException($"invalid step in '{part}'"),
            };
            int low, high;
            if (range is "*" or "?")
            {
                (low, high) = (min, max);
            }
            else
            {
                var bounds = range.Split('-');
                low = Value(bounds[0], names, min);
                high = bounds.Length switch
                {
                    1 => part.Contains('/', StringComparison.Ordinal) ? max : low,
                    2 => Value(bounds[1], names, min),
                    _ => throw new FormatException($"too many hyphens: {range}"),
                };
            }
            if (low < min || high > max || low > high)
            {
                throw new FormatException($"value out of range ({min} - {max}): {part}");
            }
            for (var v = low; v <= high; v += step)
            {
                bits |= 1UL << v;
            }
        }
        return bits;
    }

    private static int Value(string text, string[]? names, int min)
    {
        if (names is not null && Array.IndexOf(names, text.ToUpperInvariant()) is var index and >= 0)
        {
            return index + (names.Length == 12 ? 1 : 0);
        }
        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new FormatException($"failed to parse int from {text}");
    }
}
