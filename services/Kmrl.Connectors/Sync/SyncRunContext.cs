using Kmrl.Connectors.Hosting;
using Kmrl.Connectors.Observability;
using Kmrl.Connectors.Ports;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Kmrl.Connectors.Sync;

/// <summary>Who one run is (connector, source, run id, the run's token) and what it has done so far; not shared between runs.</summary>
internal sealed class SyncRunContext(string connector, IDocumentSource source, string runId, string eventSource, CancellationToken token)
{
    public string Connector => connector;

    public IDocumentSource Source => source;

    public string SourceName => source.Name;

    public string RunId => runId;

    /// <summary>The events' <c>Source</c> (a <c>DocumentSources</c> value).</summary>
    public string EventSource => eventSource;

    /// <summary>The caller's token linked with the run's deadline.</summary>
    public CancellationToken Token => token;

    public RunCounters Counts { get; } = new();

    /// <summary>Items handed on or recorded in this run, so a re-read after a transient listing error does not repeat them.</summary>
    public HashSet<string> Handled { get; } = new(StringComparer.Ordinal);

    /// <summary>Source ids are unique within a source; events carry the source name with them so they are unique per connector.</summary>
    public string QualifiedId(string sourceId) => SourceName + "/" + sourceId;

    public Dictionary<string, string> Metadata(IReadOnlyDictionary<string, string>? metadata)
    {
        var result = metadata is null ? new Dictionary<string, string>(StringComparer.Ordinal) : new Dictionary<string, string>(metadata, StringComparer.Ordinal);
        result.TryAdd("kmrl.connector", connector);
        result.TryAdd("kmrl.source", SourceName);
        return result;
    }
}

/// <summary>The counts of one run; one run is one task, so no locking.</summary>
internal sealed class RunCounters
{
    public int Discovered { get; private set; }

    public int Removed { get; private set; }

    public int Rejected { get; private set; }

    public int DeadLettered { get; private set; }

    public long Bytes { get; private set; }

    public int CheckpointsStored { get; private set; }

    public void AddDiscovered(long bytes)
    {
        Discovered++;
        Bytes += bytes;
    }

    public void AddRemoved() => Removed++;

    public void AddRejected() => Rejected++;

    public void AddDeadLettered() => DeadLettered++;

    public void AddCheckpoint() => CheckpointsStored++;

    public SyncCounts Snapshot() => new(Discovered, Removed, Rejected, DeadLettered, Bytes, CheckpointsStored);
}

/// <summary>
/// What a <see cref="SyncRun"/> works with, resolved once from DI and handed to each run (eShop's
/// <c>[AsParameters]</c> services bundle), so a run never reaches back into the runner.
/// </summary>
internal sealed record SyncRunServices(
    ICheckpointStore Checkpoints,
    DocumentFilter Filter,
    SourceRateLimiters RateLimiters,
    DocumentHandOff HandOff,
    SkippedItemRecorder Skipped,
    InfrastructureRetry Retry,
    RetryBackoff Backoff,
    ConnectorStatusRegistry Status,
    IOptions<ConnectorHostOptions> Options,
    TimeProvider Time,
    ILogger<SyncRun> Logger);
