using Kmrl.Dapr.Local.Host;
using Kmrl.Testing.Servers;

namespace Kmrl.Dapr.Local.Host.Tests;

public sealed class LogSinkTests
{
    [Fact]
    public void A_line_that_arrives_after_the_sink_is_disposed_is_dropped_instead_of_ending_the_tool()
    {
        using var folder = new TempDirectory("kmrl-logsink");
        var sink = new LogSink(folder.Path);
        sink.Write("redis", "ready");
        sink.Dispose();

        // A child's output event firing late, on a thread-pool thread, as it does while the runtime stops.
        var late = Record.Exception(() => sink.Write("redis", "signal-handler: received SIGTERM"));
        var lateNewSource = Record.Exception(() => sink.Write("pure-ftpd", "exiting"));

        Assert.Null(late);
        Assert.Null(lateNewSource);
        Assert.Contains("ready", File.ReadAllText(Path.Combine(folder.Path, "redis.log")));
        Assert.DoesNotContain("SIGTERM", File.ReadAllText(Path.Combine(folder.Path, "redis.log")));
        Assert.False(File.Exists(Path.Combine(folder.Path, "pure-ftpd.log")));
    }
}
