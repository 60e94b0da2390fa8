using Kmrl.DocumentApi.Extensions;
using Kmrl.DocumentApi.Pipeline;
using Microsoft.Extensions.Options;

namespace Kmrl.DocumentApi.Tests.Pipeline;

public sealed class CpuWorkLimiterTests
{
    private static CpuWorkLimiter OneSlot() => new(Options.Create(new PipelineOptions { MaxConcurrentCpuActivities = 1 }));

    [Fact]
    public async Task A_freed_slot_goes_to_interactive_work_before_bulk_work_that_waited_longer()
    {
        var cpu = OneSlot();
        var order = new List<string>();
        var release = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        var holder = cpu.RunAsync(() => release.Task, CancellationToken.None, bulk: true);

        var bulk = Enumerable.Range(0, 3).Select(i => cpu.RunAsync(() => Record(order, "bulk-" + i), CancellationToken.None, bulk: true)).ToList();
        var interactive = cpu.RunAsync(() => Record(order, "interactive"), CancellationToken.None);
        release.SetResult(true);
        await holder;
        await Task.WhenAll([.. bulk, interactive]).WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(["interactive", "bulk-0", "bulk-1", "bulk-2"], order);
        Assert.Equal(0, cpu.InUse);
    }

    [Fact]
    public async Task Bulk_work_does_not_overtake_bulk_work_queued_before_it_when_a_slot_is_free()
    {
        var cpu = OneSlot();
        var order = new List<string>();
        var release = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        var holder = cpu.RunAsync(() => release.Task, CancellationToken.None);
        var first = cpu.RunAsync(() => Record(order, "first"), CancellationToken.None, bulk: true);
        release.SetResult(true);
        await holder;
        var second = cpu.RunAsync(() => Record(order, "second"), CancellationToken.None, bulk: true);
        await Task.WhenAll(first, second).WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(["first", "second"], order);
    }

    [Fact]
    public async Task A_cancelled_waiter_gives_up_its_turn_and_the_slot_goes_to_the_next()
    {
        var cpu = OneSlot();
        var release = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        var holder = cpu.RunAsync(() => release.Task, CancellationToken.None);
        using var cancel = new CancellationTokenSource();
        var cancelled = cpu.RunAsync(() => Task.FromResult("never"), cancel.Token);
        var next = cpu.RunAsync(() => Task.FromResult("ran"), CancellationToken.None, bulk: true);

        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled);
        release.SetResult(true);
        await holder;

        Assert.Equal("ran", await next.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(0, cpu.InUse);
    }

    private static Task<bool> Record(List<string> order, string name)
    {
        lock (order)
        {
            order.Add(name);
        }
        return Task.FromResult(true);
    }
}
