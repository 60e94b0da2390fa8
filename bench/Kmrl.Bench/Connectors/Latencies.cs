using System.Globalization;

namespace Kmrl.Bench.Connectors;

/// <summary>A set of measured latencies and their nearest-rank percentiles.</summary>
public sealed class Latencies
{
    private readonly List<TimeSpan> _values = [];

    public int Count => _values.Count;

    public void Add(TimeSpan value) => _values.Add(value);

    public TimeSpan Percentile(double percent)
    {
        if (_values.Count == 0)
        {
            throw new InvalidOperationException("No latency was measured.");
        }
        var sorted = _values.Order().ToList();
        var rank = (int)Math.Ceiling(percent / 100 * sorted.Count);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Count - 1)];
    }

    public static string Format(TimeSpan value) =>
        value.TotalMilliseconds.ToString(value.TotalMilliseconds < 10 ? "F2" : "F0", CultureInfo.InvariantCulture) + " ms";
}
