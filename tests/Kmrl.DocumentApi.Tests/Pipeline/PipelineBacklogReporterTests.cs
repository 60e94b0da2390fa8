using Kmrl.Contracts;
using Kmrl.DocumentApi.Extensions;
using Kmrl.DocumentApi.Pipeline;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Kmrl.DocumentApi.Tests.Pipeline;

/// <summary>The backlog reported on pub/sub each interval while it is past the health check's depth, for the operations mail.</summary>
public sealed class PipelineBacklogReporterTests : IDisposable
{
    // Disposed with the test: a backlog's gauge left published would be read by the other tests' meter listeners.
    private readonly ServiceProvider _meters = new ServiceCollection().AddMetrics().BuildServiceProvider();

    public void Dispose() => _meters.Dispose();

    private PipelineBacklog Backlog(params string[] open)
    {
        var backlog = new PipelineBacklog(_meters.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(), Options.Create(new DocumentApiRoleOptions()));
        foreach (var id in open) backlog.Open(id);
        return backlog;
    }

    [Fact]
    public async Task A_backlog_past_its_depth_is_reported_every_interval_and_nothing_once_it_is_back_under()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 12, 2, 6, 0, 0, TimeSpan.Zero));
        var backlog = Backlog("a", "b", "c");
        var events = new RecordingEvents();
        using var reporter = new PipelineBacklogReporter(backlog, events,
            Options.Create(new PipelineOptions { BacklogDegradedDepth = 2, BacklogReportInterval = TimeSpan.FromMinutes(1) }), time,
            NullLogger<PipelineBacklogReporter>.Instance);
        await reporter.StartAsync(CancellationToken.None);

        await TickAsync(time, events, expected: 1);
        await TickAsync(time, events, expected: 2);
        backlog.Close("a");
        time.Advance(TimeSpan.FromMinutes(1));
        await Task.Delay(200);
        await reporter.StopAsync(CancellationToken.None);

        var reports = events.On<PipelineBacklogHigh>(DaprNames.Topics.PipelineBacklogHigh);
        Assert.Equal(2, reports.Count);
        Assert.All(reports, r => Assert.Equal((3, 2, Environment.MachineName), (r.Depth, r.Threshold, r.Replica)));
        Assert.Equal([time.GetUtcNow().AddMinutes(-2), time.GetUtcNow().AddMinutes(-1)], reports.Select(r => r.ReportedAt));
    }

    [Fact]
    public async Task A_report_that_cannot_be_published_is_logged_and_the_next_interval_reports_again()
    {
        var events = new RecordingEvents { FailNext = true };
        using var reporter = new PipelineBacklogReporter(Backlog("a", "b"), events, Options.Create(new PipelineOptions { BacklogDegradedDepth = 1 }),
            TimeProvider.System, NullLogger<PipelineBacklogReporter>.Instance);

        Assert.False(await reporter.ReportAsync(CancellationToken.None));
        Assert.True(await reporter.ReportAsync(CancellationToken.None));
        Assert.Single(events.On<PipelineBacklogHigh>(DaprNames.Topics.PipelineBacklogHigh));
    }

    private static async Task TickAsync(FakeTimeProvider time, RecordingEvents events, int expected)
    {
        time.Advance(TimeSpan.FromMinutes(1));
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (events.On<PipelineBacklogHigh>(DaprNames.Topics.PipelineBacklogHigh).Count < expected)
        {
            Assert.True(DateTime.UtcNow < deadline, $"fewer than {expected} reports");
            await Task.Delay(10);
        }
    }
}
