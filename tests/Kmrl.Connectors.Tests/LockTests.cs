using Kmrl.Connectors.Dapr;
using Kmrl.Connectors.Sync;
using Kmrl.Connectors.Tests.Fakes;
using Kmrl.Contracts;

namespace Kmrl.Connectors.Tests;

public sealed class LockTests
{
    [Fact]
    public async Task A_source_locked_by_another_replica_is_skipped()
    {
        var clock = TimeProvider.System;
        var ports = new ConnectorPorts(clock);
        var source = TestSource.WithTextItems("inbox", 3);
        ports.Lock.HoldAsAnotherReplica(StateKeys.SyncLock(TestHost.Connector, "inbox"), TimeSpan.FromMinutes(5));
        await using var host = TestHost.Create(ports, clock, null, source);

        var result = await host.Runner.RunAsync(source, CancellationToken.None);

        Assert.Equal(SyncOutcome.SkippedLockHeld, result.Outcome);
        Assert.Equal(0, source.ReadCalls);
        Assert.Empty(ports.Publisher.Published);
    }

    [Fact]
    public async Task A_second_run_while_the_first_holds_the_lock_is_skipped_and_the_lock_is_released_after()
    {
        var clock = TimeProvider.System;
        var ports = new ConnectorPorts(clock);
        var source = TestSource.WithTextItems("inbox", 3);
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        source.BeforeItem = async (index, _) =>
        {
            if (index == 1)
            {
                entered.TrySetResult();
                await release.Task;
            }
        };
        // Two replicas: separate hosts (separate in-process gates) over one lock store.
        await using var replicaA = TestHost.Create(ports, clock, null, source);
        await using var replicaB = TestHost.Create(ports, clock, null, source);

        var first = replicaA.Runner.RunAsync(source, CancellationToken.None);
        await entered.Task.WaitAsync(TimeSpan.FromSeconds(10));
        var second = await replicaB.Runner.RunAsync(source, CancellationToken.None);
        var sameProcess = await replicaA.Runner.RunAsync(source, CancellationToken.None);
        release.SetResult();
        var firstResult = await first;

        Assert.Equal(SyncOutcome.SkippedLockHeld, second.Outcome);
        Assert.Equal(SyncOutcome.SkippedRunningHere, sameProcess.Outcome);
        Assert.Equal(SyncOutcome.Completed, firstResult.Outcome);
        Assert.Equal(1, source.ReadCalls);
        Assert.Equal(3, ports.Publisher.Of<DocumentDiscovered>().Count);
        Assert.False(ports.Lock.IsHeld(StateKeys.SyncLock(TestHost.Connector, "inbox")));
    }

    [Fact]
    public async Task A_slow_run_stops_before_its_lease_ends_and_the_next_run_continues_from_its_checkpoint()
    {
        var clock = new TestClock();
        var ports = new ConnectorPorts(clock);
        var source = TestSource.WithTextItems("inbox", 4);
        var slowItemReached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var firstRun = true;
        source.BeforeItem = async (index, token) =>
        {
            if (index == 2 && firstRun)
            {
                firstRun = false;
                slowItemReached.TrySetResult();
                // A source stuck for longer than the lease: only the run deadline gets it out.
                await Task.Delay(TimeSpan.FromHours(1), clock, token);
            }
        };
        var settings = new Dictionary<string, string?>
        {
            ["Connector:LockLeaseDuration"] = "00:10:00",
            ["Connector:LeaseSafetyMargin"] = "00:01:00",
        };
        await using var host = TestHost.Create(ports, clock, settings, source);

        var run = host.Runner.RunAsync(source, CancellationToken.None);
        await slowItemReached.Task.WaitAsync(TimeSpan.FromSeconds(10));
        clock.Advance(TimeSpan.FromMinutes(8.9));
        await Eventually.StillTrueAsync(() => !run.IsCompleted, "the run is still inside its deadline");
        clock.Advance(TimeSpan.FromMinutes(0.1));
        var stopped = await run.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(SyncOutcome.StoppedBeforeLeaseEnd, stopped.Outcome);
        Assert.Equal([TimeSpan.FromMinutes(10)], ports.Lock.RequestedLeases);
        Assert.Equal("2", ports.Checkpoints.ValueOf(TestHost.Connector, "inbox"));
        Assert.False(ports.Lock.IsHeld(StateKeys.SyncLock(TestHost.Connector, "inbox")));

        var next = await host.Runner.RunAsync(source, CancellationToken.None);
        Assert.Equal(SyncOutcome.Completed, next.Outcome);
        Assert.Equal("4", ports.Checkpoints.ValueOf(TestHost.Connector, "inbox"));
        Assert.Equal([null, "2"], source.CheckpointsReadFrom);
    }
}
