using Dapr;
using Dapr.Client;
using Kmrl.Connectors.Ports;
using Kmrl.Contracts;

namespace Kmrl.Connectors.Dapr;

/// <summary>Checkpoints in <see cref="DaprNames.Components.StateStore"/>, guarded by ETags.</summary>
internal sealed class DaprCheckpointStore(DaprClient daprClient) : ICheckpointStore
{
    private static readonly StateOptions FirstWrite = new()
    {
        Concurrency = ConcurrencyMode.FirstWrite,
        Consistency = ConsistencyMode.Strong,
    };

    public async Task<StoredCheckpoint?> LoadAsync(string connector, string source, CancellationToken cancellationToken)
    {
        var (checkpoint, etag) = await daprClient.GetStateAndETagAsync<CheckpointRecord?>(
            DaprNames.Components.StateStore, StateKeys.Checkpoint(connector, source), ConsistencyMode.Strong, cancellationToken: cancellationToken);
        return checkpoint is null ? null : new StoredCheckpoint(checkpoint, etag ?? "");
    }

    public async Task<string?> TrySaveAsync(string connector, string source, CheckpointRecord checkpoint, string? expectedETag, CancellationToken cancellationToken)
    {
        var key = StateKeys.Checkpoint(connector, source);
        bool saved;
        try
        {
            // An empty ETag with first-write concurrency means "only if nothing is stored yet". Every checkpoint write
            // is first-write: state.redis refuses an ETag-less write only to a key that carries the first-write mark.
            saved = await daprClient.TrySaveStateAsync(
                DaprNames.Components.StateStore, key, checkpoint, expectedETag ?? "", FirstWrite, cancellationToken: cancellationToken);
        }
        catch (DaprException) when (string.IsNullOrEmpty(expectedETag))
        {
            // A refused first write is not an ETag mismatch to daprd (no ETag was sent): state.redis reports it as
            // Internal "failed to set key". It was a lost race if a checkpoint is stored now.
            var (_, current) = await daprClient.GetStateAndETagAsync<CheckpointRecord?>(
                DaprNames.Components.StateStore, key, ConsistencyMode.Strong, cancellationToken: cancellationToken);
            if (string.IsNullOrEmpty(current))
            {
                throw;
            }
            saved = false;
        }
        if (!saved)
        {
            return null;
        }
        // SaveState does not return the new ETag; read it back, and make sure what is stored is ours.
        var (stored, etag) = await daprClient.GetStateAndETagAsync<CheckpointRecord?>(
            DaprNames.Components.StateStore, key, ConsistencyMode.Strong, cancellationToken: cancellationToken);
        return stored is not null && stored.RunId == checkpoint.RunId && stored.Value == checkpoint.Value && !string.IsNullOrEmpty(etag) ? etag : null;
    }
}
