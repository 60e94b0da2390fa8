using Xunit.Abstractions;

namespace Kmrl.Reliability.Tests.Support;

/// <summary>
/// The last lines of a noisy log (the sidecar double's deliveries, child processes' consoles), kept in memory and
/// written to the test output once, at the end: hundreds of documents would otherwise flood it, and xunit refuses
/// output from background threads after the test has ended.
/// </summary>
public sealed class LogTail(int capacity)
{
    private readonly Queue<string> _lines = new();
    private readonly Lock _gate = new();
    private long _dropped;

    public void Add(string line)
    {
        lock (_gate)
        {
            _lines.Enqueue($"{DateTime.UtcNow:HH:mm:ss.fff} {line}");
            while (_lines.Count > capacity)
            {
                _lines.Dequeue();
                _dropped++;
            }
        }
    }

    public void WriteTo(ITestOutputHelper output)
    {
        string[] lines;
        long dropped;
        lock (_gate)
        {
            lines = [.. _lines];
            dropped = _dropped;
        }
        output.WriteLine($"--- last {lines.Length} log lines ({dropped} earlier ones not kept) ---");
        foreach (var line in lines)
        {
            output.WriteLine(line);
        }
    }
}
