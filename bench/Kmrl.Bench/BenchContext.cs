using Kmrl.Testing.Servers;

namespace Kmrl.Bench;

/// <summary>What every benchmark gets: the run's mode, a scratch directory and a shared Redis for the test sidecar.</summary>
public sealed class BenchContext(bool quick, TempDirectory scratch, RedisServer redis, TextWriter log)
{
    /// <summary>--quick: smaller sizes and shorter runs, to check the benchmarks work; the report says so.</summary>
    public bool Quick { get; } = quick;

    public TempDirectory Scratch { get; } = scratch;

    public RedisServer Redis { get; } = redis;

    public TextWriter Log { get; } = log;

    /// <summary>Picks the full-run or quick-run value of a size or duration.</summary>
    public T Scale<T>(T full, T quick) => Quick ? quick : full;
}
