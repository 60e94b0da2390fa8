using System.Globalization;

namespace Kmrl.Reliability.Tests.Load;

/// <summary>Samples this process's resident set (VmRSS in /proc/self/status) at a fixed interval.</summary>
public sealed class ProcessRss : IAsyncDisposable
{
    private readonly List<(TimeSpan At, long Bytes)> _samples = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private readonly Lock _gate = new();

    private ProcessRss(TimeSpan interval)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        _loop = Task.Run(async () =>
        {
            using var timer = new PeriodicTimer(interval);
            try
            {
                do
                {
                    var bytes = Current();
                    lock (_gate)
                    {
                        _samples.Add((clock.Elapsed, bytes));
                    }
                }
                while (await timer.WaitForNextTickAsync(_stop.Token));
            }
            catch (OperationCanceledException)
            {
                // Disposed: sampling ends.
            }
        });
    }

    public static ProcessRss Start(TimeSpan interval) => new(interval);

    public IReadOnlyList<(TimeSpan At, long Bytes)> Samples
    {
        get { lock (_gate) { return [.. _samples]; } }
    }

    public static long Current()
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                // "VmRSS:   123456 kB"
                return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
            }
        }
        throw new InvalidOperationException("No VmRSS in /proc/self/status.");
    }

    /// <summary>Median of the samples in quarter <paramref name="quarter"/> (1-4) of the sampling period.</summary>
    public long MedianOfQuarter(int quarter)
    {
        var samples = Samples;
        var size = samples.Count / 4;
        var slice = samples.Skip((quarter - 1) * size).Take(size).Select(s => s.Bytes).Order().ToList();
        return slice.Count == 0 ? 0 : slice[slice.Count / 2];
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loop;
        _stop.Dispose();
    }
}
