using System.Collections.Concurrent;
using Kmrl.Connectors.Ports;
using Kmrl.Connectors.Sync;

namespace Kmrl.Connectors.Observability;

/// <summary>What this replica knows about its sources' runs; feeds <c>/connector/status</c>, health and gauges.</summary>
internal sealed class ConnectorStatusRegistry
{
    private const int RecentLimit = 20;
    private readonly ConcurrentDictionary<string, SourceState> _sources = new(StringComparer.Ordinal);

    public void RunStarted(string source, string runId, DateTimeOffset at) =>
        Update(source, state => state with { Running = true, CurrentRunId = runId, CurrentRunStartedAt = at });

    /// <summary>Records a finished run; returns the number of failed runs in a row.</summary>
    public int RunFinished(SyncRunResult result)
    {
        var state = Update(result.Source, state =>
        {
            var totals = state.Totals with
            {
                Runs = state.Totals.Runs + 1,
                Discovered = state.Totals.Discovered + result.Counts.Discovered,
                Removed = state.Totals.Removed + result.Counts.Removed,
                Rejected = state.Totals.Rejected + result.Counts.Rejected,
                DeadLettered = state.Totals.DeadLettered + result.Counts.DeadLettered,
                Bytes = state.Totals.Bytes + result.Counts.Bytes,
            };
            var next = state with { Running = false, CurrentRunId = null, CurrentRunStartedAt = null, LastRun = result, Totals = totals };
            return result.Outcome switch
            {
                SyncOutcome.Completed => next with { LastSuccessAt = result.FinishedAt, ConsecutiveFailures = 0 },
                SyncOutcome.Failed => next with
                {
                    LastError = result.Error,
                    LastErrorAt = result.FinishedAt,
                    ConsecutiveFailures = state.ConsecutiveFailures + 1,
                },
                _ => next,
            };
        });
        RunRecorded?.Invoke(state);
        return state.ConsecutiveFailures;
    }

    /// <summary>A document of the source was handed on (stored and published): the status page's "last document".</summary>
    public void DocumentHandedOn(string source, DateTimeOffset at) =>
        Update(source, state => state with { LastDocumentAt = at });

    /// <summary>Raised after every <see cref="RunFinished"/> with the source's state (<see cref="KeptSourceStates"/> keeps the streak).</summary>
    public event Action<SourceState>? RunRecorded;

    /// <summary>
    /// What a previous process (or another replica) kept (<see cref="KeptSourceStates"/>): the failed runs in a row for
    /// a source this process has not run yet (its own runs know better), and the later of each time.
    /// </summary>
    public void Restore(string source, KeptSourceState kept) =>
        Update(source, state => (state.LastRun is null ? state with { ConsecutiveFailures = kept.ConsecutiveFailures } : state) with
        {
            LastSuccessAt = KeptSourceStates.Later(state.LastSuccessAt, kept.LastSuccessAt),
            LastDocumentAt = KeptSourceStates.Later(state.LastDocumentAt, kept.LastDocumentAt),
        });

    public void RunSkipped(SyncRunResult result) => Update(result.Source, state => state with { LastSkip = result });

    public void CheckpointStored(string source, CheckpointRecord checkpoint) =>
        Update(source, state => state with { Checkpoint = checkpoint });

    public void ItemSkipped(string source, SkippedItem item) =>
        Update(source, state => state with { RecentlySkipped = [item, .. state.RecentlySkipped.Take(RecentLimit - 1)] });

    public SourceState Get(string source) => _sources.GetValueOrDefault(source) ?? SourceState.Empty(source);

    public IReadOnlyList<SourceState> All() => [.. _sources.Values.OrderBy(s => s.Source, StringComparer.Ordinal)];

    public void Register(string source) => _sources.TryAdd(source, SourceState.Empty(source));

    private SourceState Update(string source, Func<SourceState, SourceState> change) =>
        _sources.AddOrUpdate(source, name => change(SourceState.Empty(name)), (_, state) => change(state));
}

internal sealed record SourceState(
    string Source,
    bool Running,
    string? CurrentRunId,
    DateTimeOffset? CurrentRunStartedAt,
    SyncRunResult? LastRun,
    SyncRunResult? LastSkip,
    DateTimeOffset? LastSuccessAt,
    string? LastError,
    DateTimeOffset? LastErrorAt,
    int ConsecutiveFailures,
    SourceTotals Totals,
    CheckpointRecord? Checkpoint,
    IReadOnlyList<SkippedItem> RecentlySkipped,
    DateTimeOffset? LastDocumentAt = null)
{
    public static SourceState Empty(string source) =>
        new(source, false, null, null, null, null, null, null, null, 0, SourceTotals.None, null, []);
}

/// <summary>Counts since this replica started.</summary>
public sealed record SourceTotals(long Runs, long Discovered, long Removed, long Rejected, long DeadLettered, long Bytes)
{
    public static readonly SourceTotals None = new(0, 0, 0, 0, 0, 0);
}

public sealed record SkippedItem(string Kind, string SourceId, string FileName, string Reason, int Attempts, DateTimeOffset At);
