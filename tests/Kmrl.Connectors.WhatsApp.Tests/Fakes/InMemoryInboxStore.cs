using System.Text.Json;
using Kmrl.Connectors.Ports;
using Kmrl.ServiceDefaults;

namespace Kmrl.Connectors.WhatsApp.Tests.Fakes;

/// <summary>The host's inbox port in memory, with the adapter's semantics: first write wins for ever, completed items stay known.</summary>
public sealed class InMemoryInboxStore : IInboxStore
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, (InboxEntry Entry, bool Completed)> _items = new(StringComparer.Ordinal);

    /// <summary>Every message the webhook stored, with whether the host has completed it.</summary>
    public IReadOnlyList<(MediaMessage Message, bool Completed)> All
    {
        get
        {
            lock (_gate)
            {
                return [.. _items.Values.Select(v => (v.Entry.Item.Deserialize<MediaMessage>(KmrlJson.Options)!, v.Completed))];
            }
        }
    }

    public Task<bool> TryAddAsync(string connector, string source, InboxEntry entry, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return Task.FromResult(_items.TryAdd(source + "\n" + entry.Id, (entry, false)));
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

    /// <summary>False when there is no such item.</summary>
    private bool Set(string source, string itemId, bool completed)
    {
        lock (_gate)
        {
            var key = source + "\n" + itemId;
            if (!_items.TryGetValue(key, out var item))
            {
                return false;
            }
            _items[key] = (item.Entry, completed);
            return true;
        }
    }
}
