using System.Text.Json;
using Kmrl.DocumentApi.Ports;
using Kmrl.ServiceDefaults;

namespace Kmrl.DocumentApi.Tests.Fakes;

/// <summary>
/// A state store with the semantics the catalog relies on: values stored as JSON (as the sidecar would), ETags that
/// change on every write, and all-or-nothing transactions that fail on a stale ETag.
/// </summary>
public sealed class InMemoryStateStore : IStateStore
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, (byte[] Json, string ETag)> _items = new(StringComparer.Ordinal);
    private long _version;

    public int Commits { get; private set; }

    /// <summary>Called inside a commit before it applies; a test can change a key here to simulate a concurrent writer.</summary>
    public Action<InMemoryStateStore>? BeforeCommit { get; set; }

    public IReadOnlyCollection<string> Keys
    {
        get { lock (_gate) return _items.Keys.ToList(); }
    }

    public Task<StoredValue<T>?> GetAsync<T>(string key, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return Task.FromResult(_items.TryGetValue(key, out var item)
                ? new StoredValue<T>(JsonSerializer.Deserialize<T>(item.Json, KmrlJson.Options)!, item.ETag)
                : null);
        }
    }

    public async Task<IReadOnlyList<T>> GetManyAsync<T>(IReadOnlyList<string> keys, CancellationToken cancellationToken)
    {
        var result = new List<T>();
        foreach (var key in keys)
        {
            if (await GetAsync<T>(key, cancellationToken) is { } value) result.Add(value.Value);
        }
        return result;
    }

    public Task<bool> TryCommitAsync(IReadOnlyList<StateWrite> writes, CancellationToken cancellationToken)
    {
        var hook = BeforeCommit;
        BeforeCommit = null;
        hook?.Invoke(this);
        lock (_gate)
        {
            foreach (var write in writes.Where(w => w.ETag is not null))
            {
                if (!_items.TryGetValue(write.Key, out var current) || current.ETag != write.ETag) return Task.FromResult(false);
            }
            foreach (var write in writes)
            {
                if (write.IsDelete) _items.Remove(write.Key);
                else _items[write.Key] = (JsonSerializer.SerializeToUtf8Bytes(write.Value, write.Value!.GetType(), KmrlJson.Options), (++_version).ToString(System.Globalization.CultureInfo.InvariantCulture));
            }
            Commits++;
            return Task.FromResult(true);
        }
    }

    /// <summary>Writes a key outside any transaction (a "concurrent writer").</summary>
    public void Touch<T>(string key, T value)
    {
        lock (_gate)
        {
            _items[key] = (JsonSerializer.SerializeToUtf8Bytes(value, KmrlJson.Options), (++_version).ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
    }
}
