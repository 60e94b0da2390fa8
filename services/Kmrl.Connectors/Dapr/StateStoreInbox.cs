using Kmrl.BuildingBlocks.State;
using Kmrl.Connectors.Ports;

namespace Kmrl.Connectors.Dapr;

/// <summary>
/// Inboxes in the state store: one key per item (kept after completion, so a redelivery stays a duplicate) and the
/// pending ids in <see cref="StateKeys.IndexShards"/> index keys, because a key-value store cannot be listed. Every
/// write goes through the one optimistic update, <see cref="StateStoreUpdates"/>.
/// </summary>
internal sealed class StateStoreInbox(IStateStore store) : IInboxStore
{
    // A lost race means another writer's change went in; this only stops a store that keeps refusing.
    private const int MaxAttempts = 30;

    public async Task<bool> TryAddAsync(string connector, string source, InboxEntry entry, CancellationToken cancellationToken)
    {
        var key = StateKeys.InboxItem(connector, source, entry.Id);
        // Create-only: of two concurrent deliveries of one item, one creates and the other sees a duplicate.
        if (await store.TrySaveAsync(key, new InboxRecord(entry, InboxStatus.Pending), null, cancellationToken))
        {
            await ChangeIndexAsync(connector, source, entry.Id, add: true, cancellationToken);
            return true;
        }
        // Also for a duplicate: a crash between the two writes must not leave a pending item out of the index.
        var existing = await store.GetAsync<InboxRecord>(key, cancellationToken);
        if (existing?.Value.Status == InboxStatus.Pending)
        {
            await ChangeIndexAsync(connector, source, entry.Id, add: true, cancellationToken);
        }
        return false;
    }

    public async Task<IReadOnlyList<InboxEntry>> ListPendingAsync(string connector, string source, int max, CancellationToken cancellationToken)
    {
        var shards = await store.GetManyAsync<InboxIndex>(
            Enumerable.Range(0, StateKeys.IndexShards).Select(shard => StateKeys.InboxIndex(connector, source, shard)).ToList(), cancellationToken);
        var keys = shards.SelectMany(shard => shard.Ids).Distinct(StringComparer.Ordinal)
            .Select(id => StateKeys.InboxItem(connector, source, id)).ToList();
        var records = await store.GetManyAsync<InboxRecord>(keys, cancellationToken);
        return records.Where(record => record.Status == InboxStatus.Pending)
            .Select(record => record.Entry)
            .OrderBy(entry => entry.EnqueuedAt)
            .ThenBy(entry => entry.Id, StringComparer.Ordinal)
            .Take(max)
            .ToList();
    }

    public async Task CompleteAsync(string connector, string source, string itemId, CancellationToken cancellationToken)
    {
        await store.UpdateAsync<InboxRecord>(StateKeys.InboxItem(connector, source, itemId),
            record => record is { Status: InboxStatus.Pending } ? record with { Status = InboxStatus.Completed } : null, MaxAttempts, cancellationToken);
        await ChangeIndexAsync(connector, source, itemId, add: false, cancellationToken);
    }

    public async Task<bool> ReopenAsync(string connector, string source, string itemId, CancellationToken cancellationToken)
    {
        var (stored, _) = await store.UpdateAsync<InboxRecord>(StateKeys.InboxItem(connector, source, itemId),
            record => record is { Status: InboxStatus.Completed } ? record with { Status = InboxStatus.Pending } : null, MaxAttempts, cancellationToken);
        if (stored is null)
        {
            return false;
        }
        await ChangeIndexAsync(connector, source, itemId, add: true, cancellationToken);
        return true;
    }

    private Task ChangeIndexAsync(string connector, string source, string itemId, bool add, CancellationToken cancellationToken) =>
        store.UpdateAsync<InboxIndex>(StateKeys.InboxIndex(connector, source, StateKeys.ShardOf(StateKeys.Hash(itemId))), index =>
        {
            var ids = index?.Ids ?? [];
            if (add == ids.Contains(itemId, StringComparer.Ordinal))
            {
                return null;
            }
            return new InboxIndex(add ? [.. ids, itemId] : [.. ids.Where(id => !string.Equals(id, itemId, StringComparison.Ordinal))]);
        }, MaxAttempts, cancellationToken);
}

internal enum InboxStatus
{
    Pending,
    Completed,
}

internal sealed record InboxRecord(InboxEntry Entry, InboxStatus Status);

internal sealed record InboxIndex(List<string> Ids);
