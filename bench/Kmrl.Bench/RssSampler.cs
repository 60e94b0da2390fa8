using System.Globalization;

namespace Kmrl.Bench;

/// <summary>
/// Peak resident set size of this process while a piece of work runs. The kernel's high-water mark (VmHWM) is reset
/// through /proc/self/clear_refs first, and VmRSS is also sampled, so the peak is the work's and not start-up's.
/// </summary>
public sealed class RssSampler : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _sampling;
    private long _peakBytes;

    private RssSampler(TimeSpan interval)
    {
        StartBytes = CurrentBytes();
        _peakBytes = StartBytes;
        _sampling = SampleAsync(interval, _stop.Token);
    }

    /// <summary>RSS when sampling started, after a full collection.</summary>
    public long StartBytes { get; }

    /// <summary>The highest RSS seen so far, from both the samples and the kernel's high-water mark.</summary>
    public long PeakBytes => Math.Max(Interlocked.Read(ref _peakBytes), ReadStatus("VmHWM:") ?? 0);

    public long GrowthBytes => PeakBytes - StartBytes;

    public static RssSampler Start(TimeSpan? interval = null)
    {
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        ResetHighWaterMark();
        return new RssSampler(interval ?? TimeSpan.FromMilliseconds(20));
    }

    public static long CurrentBytes() => ReadStatus("VmRSS:") ?? Environment.WorkingSet;

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try
        {
            await _sampling;
        }
        catch (OperationCanceledException)
        {
        }
        _stop.Dispose();
    }

    private async Task SampleAsync(TimeSpan interval, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(interval);
        while (await timer.WaitForNextTickAsync(cancellationToken))
        {
            var now = CurrentBytes();
            long seen;
            do
            {
                seen = Interlocked.Read(ref _peakBytes);
            }
            while (now > seen && Interlocked.CompareExchange(ref _peakBytes, now, seen) != seen);
        }
    }

    private static void ResetHighWaterMark()
    {
        try
        {
            // "5" resets the peak RSS counter (Linux 4.0+); without it VmHWM would still hold start-up's peak.
            File.WriteAllText("/proc/self/clear_refs", "5");
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private static long? ReadStatus(string key)
    {
        const string status = "/proc/self/status";
        if (!File.Exists(status))
        {
            return null;
        }
        var line = File.ReadLines(status).FirstOrDefault(l => l.StartsWith(key, StringComparison.Ordinal));
        if (line is null)
        {
            return null;
        }
        var kilobytes = line[key.Length..].Trim().Split(' ')[0];
        return long.Parse(kilobytes, CultureInfo.InvariantCulture) * 1024;
    }
}
