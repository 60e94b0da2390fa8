using Dapr;
using Dapr.Client;
using Kmrl.Contracts;

namespace Kmrl.BuildingBlocks.State;

/// <summary>
/// The state store through the Dapr sidecar, one key per call. Every write uses first-write concurrency: with an ETag
/// it must match (a mismatch is gRPC Aborted, which <c>TrySaveStateAsync</c> reports as false); without one the key
/// must not exist yet. On state.redis that second check holds only for keys that were themselves written with
/// first-write (the script marks them), which is why no write here goes without it.
/// </summary>
public sealed class DaprStateStore(DaprClient dapr) : IStateStore
{
    private static readonly StateOptions FirstWrite = new() { Concurrency = ConcurrencyMode.FirstWrite };

    public async Task<StoredValue<T>?> GetAsync<T>(string key, CancellationToken cancellationToken)
    {
        var (value, etag) = await dapr.GetStateAndETagAsync<T>(DaprNames.Components.StateStore, key, cancellationToken: cancellationToken);
        return value is null ? null : new StoredValue<T>(value, etag);
    }

    public async Task<IReadOnlyList<T>> GetManyAsync<T>(IReadOnlyList<string> keys, CancellationToken cancellationToken)
    {
        if (keys.Count == 0) return [];
        var items = await dapr.GetBulkStateAsync<T>(DaprNames.Components.StateStore, keys, parallelism: 8, cancellationToken: cancellationToken);
        var byKey = items.Where(i => i.Value is not null).ToDictionary(i => i.Key, i => i.Value);
        // The sidecar does not promise the order of a bulk read; keep the caller's.
        return keys.Where(byKey.ContainsKey).Select(k => byKey[k]).ToList();
    }

    public async Task<bool> TrySaveAsync<T>(string key, T value, string? etag, CancellationToken cancellationToken)
    {
        try
        {
            return await dapr.TrySaveStateAsync(DaprNames.Components.StateStore, key, value, etag ?? "", FirstWrite, cancellationToken: cancellationToken);
        }
        catch (DaprException) when (string.IsNullOrEmpty(etag))
        {
            // daprd reports a refused create like any other store failure (state.redis: Internal "failed to set
            // key"), so look: if the key exists now, another writer created it first.
            var (_, current) = await dapr.GetStateAndETagAsync<object>(DaprNames.Components.StateStore, key, cancellationToken: cancellationToken);
            if (!string.IsNullOrEmpty(current))
            {
                return false;
            }
            throw;
        }
    }

    public Task DeleteAsync(string key, CancellationToken cancellationToken) =>
        dapr.DeleteStateAsync(DaprNames.Components.StateStore, key, cancellationToken: cancellationToken);
}
