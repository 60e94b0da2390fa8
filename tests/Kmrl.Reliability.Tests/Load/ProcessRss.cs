using System.Globalization;

namespace Kmrl.Reliability.Tests.Load;

/// <summary>
/// Samples this process's resident set (VmRSS in /proc/self/status) at a fixed interval, with what it is made of:
/// anonymous memory (heaps, stacks, the GC), file-backed pages (assemblies and native libraries, which grow as more
/// code is touched and are not a leak), the thread count (each thread can keep an ArrayPool.Shared buffer per size)
/// and the GC's committed bytes. A long run that fails on RSS then says which part grew.
/// </summary>
public sealed class ProcessRss : IAsyncDisposable
{
    private readonly List<(TimeSpan At, long Bytes)> _samples = [];
    private readonly List<RssParts> _parts = [];
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
                    var parts = Read();
                    lock (_gate)
                    {
                        _samples.Add((clock.Elapsed, parts.Rss));
                        _parts.Add(parts);
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

    public static long Current() => Read().Rss;

    private static RssParts Read()
    {
        long rss = -1, anon = 0, file = 0;
        var threads = 0;
        foreach (var line in File.ReadLines("/proc/self/status"))
        {
            // "VmRSS:   123456 kB", "Threads:  42"
            var fields = line.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
            switch (fields[0])
            {
                case "VmRSS:": rss = Kilobytes(fields[1]); break;
                case "RssAnon:": anon = Kilobytes(fields[1]); break;
                case "RssFile:": file = Kilobytes(fields[1]); break;
                case "Threads:": threads = int.Parse(fields[1], CultureInfo.InvariantCulture); break;
            }
        }
        if (rss < 0)
        {
            throw new InvalidOperationException("No VmRSS in /proc/self/status.");
        }
        return new RssParts(rss, anon, file, threads, GC.GetGCMemoryInfo().TotalCommittedBytes);
    }

    private static long Kilobytes(string value) => long.Parse(value, CultureInfo.InvariantCulture) * 1024;

    /// <summary>The medians of each part in quarter <paramref name="quarter"/> (1-4), as the RSS median is taken.</summary>
    public RssParts PartsOfQuarter(int quarter)
    {
        List<RssParts> parts;
        lock (_gate)
        {
            parts = [.. _parts];
        }
        var size = parts.Count / 4;
        var slice = parts.Skip((quarter - 1) * size).Take(size).ToList();
        if (slice.Count == 0)
        {
            return new RssParts(0, 0, 0, 0, 0);
        }
        long Median(Func<RssParts, long> part) => slice.Select(part).Order().ElementAt(slice.Count / 2);
        return new RssParts(Median(p => p.Rss), Median(p => p.Anonymous), Median(p => p.FileBacked), (int)Median(p => p.Threads), Median(p => p.GcCommitted));
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

public sealed record RssParts(long Rss, long Anonymous, long FileBacked, int Threads, long GcCommitted);
