using System.Globalization;
using System.Text.Json;
using Kmrl.BuildingBlocks.State;
using Kmrl.DocumentApi.Ports;
using Kmrl.ServiceDefaults;

namespace Kmrl.DocumentApi.Tests.Fakes;

/// <summary>
/// A state store with the semantics the catalog relies on: values stored as JSON (as the sidecar would), ETags that
/// change on every write, and single-key writes that fail on a stale ETag or, without one, on an existing key.
/// </summary>
public sealed class InMemoryStateStore : IStateStore
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, (byte[] Json, string ETag)> _items = new(StringComparer.Ordinal);
    private long _version;

    /// <summary>Writes that went in.</summary>
    public int Writes { get; private set; }

    /// <summary>Writes refused because another writer got there first.</summary>
    public int Conflicts { get; private set; }

    /// <summary>
    /// Called with the key before each write is checked; a test can change a key here to simulate a concurrent writer,
    /// or throw to simulate a crash.
    /// </summary>
    public Action<InMemoryStateStore, string>? BeforeWrite { get; set; }

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

    public async Task<bool> TrySaveAsync<T>(string key, T value, string? etag, CancellationToken cancellationToken)
    {
        // Let concurrent callers interleave between their read and their write, as they would over the network.
        await Task.Yield();
        BeforeWrite?.Invoke(this, key);
        lock (_gate)
        {
            var exists = _items.TryGetValue(key, out var current);
            if (etag is null ? exists : !exists || current.ETag != etag)
            {
                Conflicts++;
                return false;
            }
            _items[key] = (JsonSerializer.SerializeToUtf8Bytes(value, KmrlJson.Options), NextETag());
            Writes++;
            return true;
        }
    }

    public Task DeleteAsync(string key, CancellationToken cancellationToken)
    {
        BeforeWrite?.Invoke(this, key);
        lock (_gate)
        {
            _items.Remove(key);
            return Task.CompletedTask;
        }
    }

    /// <summary>Writes a key outside the catalog (a "concurrent writer").</summary>
    public void Touch<T>(string key, T value)
    {
        lock (_gate)
        {
            _items[key] = (JsonSerializer.SerializeToUtf8Bytes(value, KmrlJson.Options), NextETag());
        }
    }

    private string NextETag() => (++_version).ToString(CultureInfo.InvariantCulture);
}
