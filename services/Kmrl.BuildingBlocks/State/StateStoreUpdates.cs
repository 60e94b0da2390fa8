namespace Kmrl.BuildingBlocks.State;

/// <summary>
/// The one optimistic update over <see cref="IStateStore"/>, shared by the catalog, the connector host's stores and
/// the notifications ledger.
/// </summary>
public static class StateStoreUpdates
{
    /// <summary>
    /// Reads the key, lets <paramref name="change"/> compute its new value (null: leave it), writes it with the ETag
    /// read (none: only if the key is still absent), and on a lost race waits a little on <paramref name="time"/>,
    /// with jitter so losers do not collide again in lockstep, and re-reads. A lost race means another writer's change
    /// went in, so writers always progress; <paramref name="maxAttempts"/> only stops a store that keeps refusing.
    /// </summary>
    public static async Task<(T? Value, bool Written)> UpdateAsync<T>(
        this IStateStore store, string key, Func<T?, Task<T?>> change, int maxAttempts, TimeProvider time, CancellationToken cancellationToken)
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
            await Task.Delay(ConflictWait(attempt), time, cancellationToken);
        }
        throw new InvalidOperationException($"The state key '{key}' kept changing under other writers for {maxAttempts} attempts.");
    }

    /// <summary>
    /// As above, waiting in real time. The wait after a lost race is a few milliseconds, so callers that run on a test
    /// clock use this one: a clock that moves only when the test says so would freeze a lost race.
    /// </summary>
    public static Task<(T? Value, bool Written)> UpdateAsync<T>(
        this IStateStore store, string key, Func<T?, Task<T?>> change, int maxAttempts, CancellationToken cancellationToken)
        where T : class =>
        store.UpdateAsync(key, change, maxAttempts, TimeProvider.System, cancellationToken);

    /// <inheritdoc cref="UpdateAsync{T}(IStateStore, string, Func{T, Task{T}}, int, CancellationToken)"/>
    public static Task<(T? Value, bool Written)> UpdateAsync<T>(
        this IStateStore store, string key, Func<T?, T?> change, int maxAttempts, CancellationToken cancellationToken)
        where T : class =>
        store.UpdateAsync<T>(key, current => Task.FromResult(change(current)), maxAttempts, TimeProvider.System, cancellationToken);

    /// <summary>The jittered wait after the <paramref name="attempt"/>th lost race: half to all of 5 ms per attempt, at most 100 ms.</summary>
    public static TimeSpan ConflictWait(int attempt)
    {
        var ceiling = Math.Min(100, 5 * attempt);
        return TimeSpan.FromMilliseconds(Random.Shared.Next(ceiling / 2, ceiling + 1));
    }
}
