namespace Kmrl.Connectors.Ports;

/// <summary>Where a source's checkpoint lives, with optimistic concurrency so two replicas cannot both advance it.</summary>
public interface ICheckpointStore
{
    Task<StoredCheckpoint?> LoadAsync(string connector, string source, CancellationToken cancellationToken);

    /// <summary>
    /// Saves <paramref name="checkpoint"/> if the stored one still carries <paramref name="expectedETag"/> (null: none
    /// stored yet). Returns the new ETag, or null when another writer got there first; nothing is overwritten then.
    /// </summary>
    Task<string?> TrySaveAsync(string connector, string source, CheckpointRecord checkpoint, string? expectedETag, CancellationToken cancellationToken);
}

/// <summary>What is stored: the source's opaque value plus who stored it when (for the status page).</summary>
public sealed record CheckpointRecord(string Value, DateTimeOffset SavedAt, string RunId);

public sealed record StoredCheckpoint(CheckpointRecord Checkpoint, string ETag);
