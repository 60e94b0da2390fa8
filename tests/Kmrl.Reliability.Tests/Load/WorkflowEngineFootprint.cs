namespace Kmrl.Reliability.Tests.Load;

/// <summary>
/// Live managed heap (after a full, compacting GC) with everything running, after document-api stopped, and after the
/// sidecar double stopped too: what each of them still held at the end of the load.
/// </summary>
public sealed record HeapAttribution(long AllRunning, long WithoutApp, long WithoutAppAndDouble)
{
    public long HeldByApp => Math.Max(0, AllRunning - WithoutApp);

    public long HeldByDouble => Math.Max(0, WithoutApp - WithoutAppAndDouble);
}

/// <summary>
/// Real Dapr keeps workflow state in daprd and its state store, outside the app; the test sidecar runs DurableTask's
/// in-memory engine inside this process, and it holds every instance (and its growing history) while the service's
/// worker works through the backlog. Stopping the app and then the double, with a full GC after each, shows who held
/// what, so RSS growth caused by the double is not blamed on the service (nor hidden by a looser tolerance).
/// </summary>
public static class WorkflowEngineFootprint
{
    public static async Task<HeapAttribution> AttributeAsync(Support.DocumentApiHost host)
    {
        var all = CollectedHeap();
        await host.StopAppAsync();
        var withoutApp = CollectedHeap();
        await host.DisposeAsync();
        return new HeapAttribution(all, withoutApp, CollectedHeap());
    }

    public static long CollectedHeap()
    {
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        return GC.GetTotalMemory(forceFullCollection: true);
    }
}
