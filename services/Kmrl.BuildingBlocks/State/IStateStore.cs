namespace Kmrl.BuildingBlocks.State;

/// <summary>A value read with the ETag it had, for optimistic concurrency.</summary>
public sealed record StoredValue<T>(T Value, string? ETag);

/// <summary>
/// The key/value store under the catalog: reads, and single-key writes guarded by ETags. Nothing is promised across
/// keys (state.redis applies a transaction key by key, without rollback), so callers order their writes to survive a
/// crash between two of them.
/// </summary>
public interface IStateStore
{
    Task<StoredValue<T>?> GetAsync<T>(string key, CancellationToken cancellationToken);

    Task<IReadOnlyList<T>> GetManyAsync<T>(IReadOnlyList<string> keys, CancellationToken cancellationToken);

    /// <summary>
    /// Writes <paramref name="value"/> if the key still has <paramref name="etag"/>, or, when it is null, if the key
    /// does not exist yet. False when another writer got there first.
    /// </summary>
    Task<bool> TrySaveAsync<T>(string key, T value, string? etag, CancellationToken cancellationToken);

    /// <summary>Deletes the key, whatever it holds; deleting a missing key is success.</summary>
    Task DeleteAsync(string key, CancellationToken cancellationToken);
}
