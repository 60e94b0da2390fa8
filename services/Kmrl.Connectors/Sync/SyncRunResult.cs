namespace Kmrl.Connectors.Sync;

public enum SyncOutcome
{
    /// <summary>The source's change stream ended and everything in it was handed on or recorded.</summary>
    Completed,

    /// <summary>A run of this source is already in progress in this process.</summary>
    SkippedRunningHere,

    /// <summary>Another replica holds the source's lock.</summary>
    SkippedLockHeld,

    /// <summary>Another writer advanced the checkpoint; this run stopped without overwriting it.</summary>
    CheckpointConflict,

    /// <summary>The run reached its deadline (lock lease minus safety margin) and stopped; the next run continues.</summary>
    StoppedBeforeLeaseEnd,

    /// <summary>The app is shutting down.</summary>
    Cancelled,

    Failed,
}

public sealed record SyncCounts(int Discovered, int Removed, int Rejected, int DeadLettered, long Bytes, int CheckpointsStored)
{
    public static readonly SyncCounts None = new(0, 0, 0, 0, 0, 0);
}

public sealed record SyncRunResult(
    string Source,
    string RunId,
    SyncOutcome Outcome,
    DateTimeOffset StartedAt,
    DateTimeOffset FinishedAt,
    SyncCounts Counts,
    string? Error)
{
    public bool IsFailure => Outcome == SyncOutcome.Failed;

    public bool IsSkipped => Outcome is SyncOutcome.SkippedLockHeld or SyncOutcome.SkippedRunningHere;
}
