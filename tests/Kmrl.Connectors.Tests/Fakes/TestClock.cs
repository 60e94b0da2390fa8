using System.Globalization;
using Microsoft.Extensions.Time.Testing;

namespace Kmrl.Connectors.Tests.Fakes;

/// <summary>
/// A <see cref="FakeTimeProvider"/> that also shows which timers are armed, so a test advances the clock only once
/// the code under test is really waiting (Task.Delay on a TimeProvider creates a timer), and can read the wait.
/// </summary>
internal sealed class TestClock : TimeProvider
{
    private readonly FakeTimeProvider _fake = new(DateTimeOffset.Parse("2026-11-27T00:00:00Z", CultureInfo.InvariantCulture));
    private readonly List<ArmedTimer> _armed = [];

    public override DateTimeOffset GetUtcNow() => _fake.GetUtcNow();

    public override long GetTimestamp() => _fake.GetTimestamp();

    public override long TimestampFrequency => _fake.TimestampFrequency;

    public override TimeZoneInfo LocalTimeZone => _fake.LocalTimeZone;

    public void Advance(TimeSpan delta) => _fake.Advance(delta);

    /// <summary>Due times (from when they were armed) of timers that have neither fired once nor been disposed.</summary>
    public IReadOnlyList<TimeSpan> PendingWaits
    {
        get
        {
            lock (_armed)
            {
                return [.. _armed.Where(t => !t.Done).Select(t => t.DueTime)];
            }
        }
    }

    /// <summary>Waits (real time) until some armed timer's due time is within [min, max], and returns it.</summary>
    public async Task<TimeSpan> WaitingAsync(TimeSpan min, TimeSpan max, string what)
    {
        TimeSpan? found = null;
        await Eventually.TrueAsync(() => (found = PendingWaits.Where(w => w >= min && w <= max).Cast<TimeSpan?>().FirstOrDefault()) is not null, what);
        return found!.Value;
    }

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var armed = new ArmedTimer(dueTime);
        lock (_armed)
        {
            _armed.Add(armed);
        }
        var timer = _fake.CreateTimer(s =>
        {
            armed.Done = true;
            callback(s);
        }, state, dueTime, period);
        return new Tracked(timer, armed);
    }

    private sealed class ArmedTimer(TimeSpan dueTime)
    {
        public TimeSpan DueTime { get; } = dueTime;

        public volatile bool Done;
    }

    private sealed class Tracked(ITimer inner, ArmedTimer armed) : ITimer
    {
        public bool Change(TimeSpan dueTime, TimeSpan period) => inner.Change(dueTime, period);

        public void Dispose()
        {
            armed.Done = true;
            inner.Dispose();
        }

        public ValueTask DisposeAsync()
        {
            armed.Done = true;
            return inner.DisposeAsync();
        }
    }
}
