using System.Text.Json;
using Kmrl.Connectors.Ports;
using Kmrl.ServiceDefaults;

namespace Kmrl.Connectors.Testing;

/// <summary>The host's inbox port in memory, with the adapter's semantics: first write wins for ever, completed items stay known.</summary>
public sealed class InMemoryInboxStore : IInboxStore
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, (InboxEntry Entry, bool Completed)> _items = new(StringComparer.Ordinal);

    /// <summary>Every item stored, as <typeparamref name="T"/>, with whether the host has completed it.</summary>
    public IReadOnlyList<(T Item, bool Completed)> Items<T>()
    {
        lock (_gate)
        {
            return [.. _items.Values.Select(v => (v.Entry.Item.Deserialize<T>(KmrlJson.Options)!, v.Completed))];
        }
    }

    public bool IsPending(string source, string itemId)
    {
        lock (_gate)
        {
            return _items.TryGetValue(Key(source, itemId), out var item) && !item.Completed;
        }
    }

    public bool Contains(string source, string itemId)
    {
        lock (_gate)
        {
            return _items.ContainsKey(Key(source, itemId));
        }
    }

    public Task<bool> TryAddAsync(string connector, string source, InboxEntry entry, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return Task.FromResult(_items.TryAdd(Key(source, entry.Id), (entry, false)));
        }
    }

    public Task<IReadOnlyList<InboxEntry>> ListPendingAsync(string connector, string source, int max, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return Task.FromResult<IReadOnlyList<InboxEntry>>([.. _items
                .Where(p => p.Key.StartsWith(source + "\n", StringComparison.Ordinal) && !p.Value.Completed)
                .Select(p => p.Value.Entry).OrderBy(e => e.EnqueuedAt).ThenBy(e => e.Id, StringComparer.Ordinal).Take(max)]);
        }
    }

    public Task CompleteAsync(string connector, string source, string itemId, CancellationToken cancellationToken) =>
        Task.FromResult(Set(source, itemId, completed: true));

    public Task<bool> ReopenAsync(string connector, string source, string itemId, CancellationToken cancellationToken) =>
        Task.FromResult(Set(source, itemId, completed: false));

    private static string Key(string source, string itemId) => source + "\n" + itemId;

    /// <summary>False when there is no such item.</summary>
    private bool Set(string source, string itemId, bool completed)
    {
        lock (_gate)
        {
            var key = Key(source, itemId);
            if (!_items.TryGetValue(key, out var item))
            {
                return false;
            }
            _items[key] = (item.Entry, completed);
            return true;
        }
    }
}
