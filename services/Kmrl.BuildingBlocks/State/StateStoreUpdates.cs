namespace Kmrl.BuildingBlocks.State;

/// <summary>The one optimistic update over <see cref="IStateStore"/>, shared by the catalog and the notifications ledger.</summary>
public static class StateStoreUpdates
{
    /// <summary>
    /// Reads the key, lets <paramref name="change"/> compute its new value (null: leave it), writes it with the ETag
    /// read (none: only if the key is still absent), and on a lost race waits a little, with jitter so losers do not
    /// collide again in lockstep, and re-reads. A lost race means another writer's change went in, so writers always
    /// progress; <paramref name="maxAttempts"/> only stops a store that keeps refusing.
    /// </summary>
    public static async Task<(T? Value, bool Written)> UpdateAsync<T>(
        this IStateStore store, string key, Func<T?, Task<T?>> change, int maxAttempts, CancellationToken cancellationToken)
        where T : class
    {
        for (var attempt = 1; attempt <= maxAttempts; attempt++)
        {
            var current = await store.GetAsync<T>(key, cancellationToken);
            var updated = await change(current?.Value);
            if (updated is null)
            {
                return (current?.Value, false);
            }
            if (await store.TrySaveAsync(key, updated, current?.ETag, cancellationToken))
            {
                return (updated, true);
            }
            var ceiling = Math.Min(100, 5 * attempt);
            await Task.Delay(TimeSpan.FromMilliseconds(Random.Shared.Next(ceiling / 2, ceiling + 1)), cancellationToken);
        }
        throw new InvalidOperationException($"The state key '{key}' kept changing under other writers for {maxAttempts} attempts.");
    }

    /// <inheritdoc cref="UpdateAsync{T}(IStateStore, string, Func{T, Task{T}}, int, CancellationToken)"/>
    public static Task<(T? Value, bool Written)> UpdateAsync<T>(
        this IStateStore store, string key, Func<T?, T?> change, int maxAttempts, CancellationToken cancellationToken)
        where T : class =>
        store.UpdateAsync<T>(key, current => Task.FromResult(change(current)), maxAttempts, cancellationToken);
}
