using System.Globalization;
using Kmrl.Connectors.Sync;
using Kmrl.Connectors.Tests.Fakes;
using Kmrl.Contracts;
using Microsoft.Extensions.Hosting;

namespace Kmrl.Connectors.Tests;

public sealed class SchedulerTests
{
    [Fact]
    public async Task Requests_during_a_run_coalesce_into_exactly_one_more_run()
    {
        var clock = TimeProvider.System;
        var ports = new ConnectorPorts(clock);
        var source = TestSource.WithTextItems("inbox", 1);
        var gate = new SemaphoreSlim(0);
        source.BeforeItem = (_, token) => gate.WaitAsync(token);
        await using var host = TestHost.Create(ports, clock, null, source);
        var scheduler = host.Get<SyncScheduler>();
        await scheduler.StartAsync(CancellationToken.None);

        scheduler.Request("inbox");
        await Eventually.TrueAsync(() => source.ReadCalls == 1, "the first run started");
        for (var i = 0; i < 5; i++)
        {
            scheduler.Request("inbox");
            scheduler.RequestAll();
        }
        gate.Release();
        // The second run reads from checkpoint "1" and finds nothing, so it never waits on the gate.
        await Eventually.TrueAsync(() => source.ReadCalls == 2, "one more run");
        await Eventually.StillTrueAsync(() => source.ReadCalls == 2, "no third run", 300);
        await scheduler.StopAsync(CancellationToken.None);

        Assert.Equal([null, "1"], source.CheckpointsReadFrom);
    }

    [Fact]
    public async Task Two_sources_with_the_same_name_are_refused_at_start_up()
    {
        var clock = TimeProvider.System;
        await using var host = TestHost.Create(new ConnectorPorts(clock), clock, null, TestSource.WithTextItems("inbox", 1), TestSource.WithTextItems("inbox", 1));

        var error = Assert.Throws<InvalidOperationException>(() => host.Get<SyncScheduler>());
        Assert.Contains("'inbox'", error.Message);
    }

    [Fact]
    public async Task Settings_for_a_source_that_is_not_registered_are_refused_at_start_up()
    {
        var clock = TimeProvider.System;
        var settings = new Dictionary<string, string?> { ["Connector:Sources:inbx:Filters:MaxSizeBytes"] = "10" };
        await using var host = TestHost.Create(new ConnectorPorts(clock), clock, settings, TestSource.WithTextItems("inbox", 1));

        var error = Assert.Throws<InvalidOperationException>(() => host.Get<SyncScheduler>());
        Assert.Equal("Connector:Sources names 'inbx', which no registered source is called. Registered sources: 'inbox'.", error.Message);
    }

    [Fact]
    public async Task A_failing_source_does_not_hold_up_the_other_sources_of_the_app()
    {
        var clock = TimeProvider.System;
        var ports = new ConnectorPorts(clock);
        var broken = TestSource.WithTextItems("broken", 2);
        broken.OnRead = _ => throw new UnauthorizedAccessException("no access");
        var stuck = TestSource.WithTextItems("stuck", 2);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        stuck.BeforeItem = (_, token) => release.Task.WaitAsync(token);
        var healthy = TestSource.WithTextItems("healthy", 3);
        await using var host = TestHost.Create(ports, clock, null, broken, stuck, healthy);
        var scheduler = host.Get<SyncScheduler>();
        await scheduler.StartAsync(CancellationToken.None);

        scheduler.RequestAll();

        await Eventually.TrueAsync(() => ports.Checkpoints.ValueOf(TestHost.Connector, "healthy") == "3", "the healthy source synced");
        await Eventually.TrueAsync(() => host.Get<Observability.ConnectorStatusRegistry>().Get("broken").ConsecutiveFailures == 1, "the broken source failed");
        Assert.Null(ports.Checkpoints.ValueOf(TestHost.Connector, "stuck"));
        release.SetResult();
        await Eventually.TrueAsync(() => ports.Checkpoints.ValueOf(TestHost.Connector, "stuck") == "2", "the stuck source finished once released");
        await scheduler.StopAsync(CancellationToken.None);
    }

    [Fact]
    public async Task A_push_trigger_requests_syncs_and_is_restarted_with_backoff_when_it_fails()
    {
        var clock = new TestClock();
        var ports = new ConnectorPorts(clock);
        var source = new PushSource("mailbox");
        var settings = new Dictionary<string, string?>
        {
            ["Connector:RetryBaseDelay"] = "00:00:10",
            ["Connector:RetryMaxDelay"] = "00:05:00",
        };
        await using var host = TestHost.Create(ports, clock, settings, source);
        var hosted = host.Get<IEnumerable<IHostedService>>().ToList();
        foreach (var service in hosted)
        {
            await service.StartAsync(CancellationToken.None);
        }

        await Eventually.TrueAsync(() => source.Watches == 1, "the trigger watches");
        await Eventually.TrueAsync(() => ports.Publisher.Of<DocumentDiscovered>().Count == 1, "its request ran a sync");
        // The trigger failed right after its request: first restart after 5-10 s, the next after 10-20 s.
        var first = await clock.WaitingAsync(TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(10), "the first restart backoff");
        clock.Advance(first - TimeSpan.FromMilliseconds(1));
        await Eventually.StillTrueAsync(() => source.Watches == 1, "no restart before the backoff ends");
        clock.Advance(TimeSpan.FromMilliseconds(1));
        await Eventually.TrueAsync(() => source.Watches == 2, "restarted");
        var second = await clock.WaitingAsync(TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(20), "the doubled restart backoff");
        clock.Advance(second - TimeSpan.FromMilliseconds(1));
        await Eventually.StillTrueAsync(() => source.Watches == 2, "no restart before the backoff ends");
        clock.Advance(TimeSpan.FromMilliseconds(1));
        await Eventually.TrueAsync(() => source.Watches == 3, "restarted again");

        foreach (var service in hosted)
        {
            await service.StopAsync(CancellationToken.None);
        }
    }

    /// <summary>A source that is its own push trigger (IMAP IDLE style): it asks for a sync, then its connection drops.</summary>
    private sealed class PushSource(string name) : IDocumentSource, IPushTrigger
    {
        private int _watches;
        private int _items;

        public string Name => name;

        public int Watches => _watches;

        public async IAsyncEnumerable<SourceChange> ReadChangesAsync(string? checkpoint, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
        {
            var known = checkpoint is null ? 0 : int.Parse(checkpoint, CultureInfo.InvariantCulture);
            for (var i = known; i < _items; i++)
            {
                yield return new SourceDocument($"m{i}", $"m{i}.eml", "message/rfc822", null, new Dictionary<string, string>(),
                    _ => Task.FromResult<Stream>(new MemoryStream([1, 2, 3])));
            }
            yield return new SourceCheckpoint(_items.ToString(CultureInfo.InvariantCulture));
            await Task.CompletedTask;
        }

        public Task WatchAsync(ISyncRequests syncRequests, CancellationToken cancellationToken)
        {
            if (Interlocked.Increment(ref _watches) == 1)
            {
                _items = 1;
                syncRequests.Request(Name);
            }
            throw new IOException("IDLE connection dropped");
        }
    }
}
