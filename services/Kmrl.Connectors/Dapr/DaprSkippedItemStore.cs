using Dapr.Client;
using Kmrl.BuildingBlocks.State;
using Kmrl.Connectors.Ports;
using Kmrl.Contracts;

namespace Kmrl.Connectors.Dapr;

/// <summary>
/// Rejected and dead-lettered items in <see cref="DaprNames.Components.StateStore"/>, one key per item (a second
/// dead-lettering of the same item overwrites). Dead letters are also listed in <see cref="StateKeys.IndexShards"/>
/// index keys for <c>GET /connector/dead-letters</c>; the item key goes first, so a crash between the two writes
/// leaves a dead letter that is stored but not listed until it is dead-lettered again, never a listed one that is missing.
/// </summary>
internal sealed class DaprSkippedItemStore(DaprClient daprClient, IStateStore state) : ISkippedItemStore, IDeadLetterLog
{
    private const int MaxAttempts = 30;

    public Task RecordRejectedAsync(RejectedItem item, CancellationToken cancellationToken) =>
        daprClient.SaveStateAsync(
            DaprNames.Components.StateStore, StateKeys.Rejected(item.Connector, item.Source, item.SourceId), item, cancellationToken: cancellationToken);

    public async Task RecordDeadLetterAsync(DeadLetteredItem item, CancellationToken cancellationToken)
    {
        await daprClient.SaveStateAsync(
            DaprNames.Components.StateStore, StateKeys.DeadLetter(item.Connector, item.Source, item.SourceId), item, cancellationToken: cancellationToken);
        await ChangeIndexAsync(item.Connector, StateKeys.DeadLetterId(item.Source, item.SourceId), add: true, cancellationToken);
    }

    public async Task<IReadOnlyList<StoredDeadLetter>> ListAsync(string connector, CancellationToken cancellationToken)
    {
        var shards = await state.GetManyAsync<DeadLetterIndex>(
            Enumerable.Range(0, StateKeys.IndexShards).Select(shard => StateKeys.DeadLetterIndex(connector, shard)).ToList(), cancellationToken);
        var ids = shards.SelectMany(shard => shard.Ids).Distinct(StringComparer.Ordinal).ToList();
        var items = await state.GetManyAsync<DeadLetteredItem>(ids.Select(id => StateKeys.DeadLetterById(connector, id)).ToList(), cancellationToken);
        return items.Select(item => new StoredDeadLetter(StateKeys.DeadLetterId(item.Source, item.SourceId), item))
            .OrderByDescending(letter => letter.Item.DeadLetteredAt)
            .ThenBy(letter => letter.Id, StringComparer.Ordinal)
            .ToList();
    }

    public async Task<StoredDeadLetter?> GetAsync(string connector, string id, CancellationToken cancellationToken)
    {
        if (!StateKeys.IsDeadLetterId(id))
        {
            return null;
        }
        var stored = await state.GetAsync<DeadLetteredItem>(StateKeys.DeadLetterById(connector, id), cancellationToken);
        return stored is null ? null : new StoredDeadLetter(id, stored.Value);
    }

    public async Task RemoveAsync(string connector, string id, CancellationToken cancellationToken)
    {
        if (!StateKeys.IsDeadLetterId(id))
        {
            return;
        }
        // The index entry goes first: a crash between the two leaves a stored dead letter that is no longer listed,
        // the state it would be in after a replay anyway.
        await ChangeIndexAsync(connector, id, add: false, cancellationToken);
        await state.DeleteAsync(StateKeys.DeadLetterById(connector, id), cancellationToken);
    }

    private Task ChangeIndexAsync(string connector, string id, bool add, CancellationToken cancellationToken) =>
        state.UpdateAsync<DeadLetterIndex>(StateKeys.DeadLetterIndex(connector, StateKeys.ShardOf(id)), index =>
        {
            var ids = index?.Ids ?? [];
            if (add == ids.Contains(id, StringComparer.Ordinal))
            {
                return null;
            }
            return new DeadLetterIndex(add ? [.. ids, id] : [.. ids.Where(other => !string.Equals(other, id, StringComparison.Ordinal))]);
        }, MaxAttempts, cancellationToken);
}

internal sealed record DeadLetterIndex(List<string> Ids);
