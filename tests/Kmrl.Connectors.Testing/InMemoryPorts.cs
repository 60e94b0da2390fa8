using System.Collections.Concurrent;
using System.Globalization;
using Kmrl.BuildingBlocks.PubSub;
using Kmrl.ClaimCheck;
using Kmrl.Connectors.Ports;
using Kmrl.Contracts;

namespace Kmrl.Connectors.Testing;

// In-memory stand-ins for the connector host's Dapr ports, so a connector's tests run the real host in-process.
// The one set: SourceContract and ContractHost use them, and so does any test that builds a host of its own.

public sealed class GrantingSyncLock : ISyncLock
{
    public Task<ISyncLease?> TryAcquireAsync(string resourceId, TimeSpan leaseDuration, CancellationToken cancellationToken) =>
        Task.FromResult<ISyncLease?>(new Lease(resourceId, DateTimeOffset.UtcNow + leaseDuration));

    private sealed record Lease(string ResourceId, DateTimeOffset ExpiresAt) : ISyncLease
    {
        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}

public sealed class InMemoryCheckpointStore : ICheckpointStore
{
    private readonly ConcurrentDictionary<string, StoredCheckpoint> _checkpoints = new(StringComparer.Ordinal);
    private long _version;

    public Task<StoredCheckpoint?> LoadAsync(string connector, string source, CancellationToken cancellationToken) =>
        Task.FromResult(_checkpoints.GetValueOrDefault(connector + "/" + source));

    /// <summary>The stored value, or null when none is stored.</summary>
    public string? ValueOf(string connector, string source) => _checkpoints.GetValueOrDefault(connector + "/" + source)?.Checkpoint.Value;

    /// <summary>Puts <paramref name="value"/> in place as if an earlier run had stored it (null: nothing stored).</summary>
    public void Seed(string connector, string source, string? value)
    {
        lock (_checkpoints)
        {
            if (value is null)
            {
                _checkpoints.TryRemove(connector + "/" + source, out _);
                return;
            }
            var etag = Interlocked.Increment(ref _version).ToString(CultureInfo.InvariantCulture);
            _checkpoints[connector + "/" + source] = new StoredCheckpoint(new CheckpointRecord(value, DateTimeOffset.UnixEpoch, "seeded"), etag);
        }
    }

    public Task<string?> TrySaveAsync(string connector, string source, CheckpointRecord checkpoint, string? expectedETag, CancellationToken cancellationToken)
    {
        var key = connector + "/" + source;
        lock (_checkpoints)
        {
            var current = _checkpoints.GetValueOrDefault(key);
            if (current is not null && expectedETag is not null && current.ETag != expectedETag)
            {
                return Task.FromResult<string?>(null);
            }
            var etag = Interlocked.Increment(ref _version).ToString(CultureInfo.InvariantCulture);
            _checkpoints[key] = new StoredCheckpoint(checkpoint, etag);
            return Task.FromResult<string?>(etag);
        }
    }
}

public sealed class RecordingPublisher : IEventPublisher
{
    public ConcurrentQueue<(string Topic, object Event, DateTimeOffset At)> Events { get; } = new();

    public IReadOnlyList<DocumentDiscovered> Discovered => Events.Select(e => e.Event).OfType<DocumentDiscovered>().ToList();

    public Task PublishAsync<TEvent>(string topic, TEvent integrationEvent, CancellationToken cancellationToken) where TEvent : class
    {
        Events.Enqueue((topic, integrationEvent, DateTimeOffset.UtcNow));
        return Task.CompletedTask;
    }
}

public sealed class InMemorySkippedItems : ISkippedItemStore
{
    public ConcurrentQueue<object> Items { get; } = new();

    public Task RecordRejectedAsync(RejectedItem item, CancellationToken cancellationToken)
    {
        Items.Enqueue(item);
        return Task.CompletedTask;
    }

    public Task RecordDeadLetterAsync(DeadLetteredItem item, CancellationToken cancellationToken)
    {
        Items.Enqueue(item);
        return Task.CompletedTask;
    }
}

public sealed class InMemoryBlobStorage : IBlobStorage
{
    private readonly ConcurrentDictionary<string, byte[]> _blobs = new(StringComparer.Ordinal);

    /// <summary>
    /// False: chunks are counted and dropped, for tests that stream hundreds of MiB and measure memory (the claim
    /// check still computes size and SHA-256 on the way, so the events carry them).
    /// </summary>
    public bool KeepContent { get; init; } = true;

    public int ChunksWritten => Volatile.Read(ref _chunksWritten);

    private int _chunksWritten;

    public Task PutAsync(string name, ReadOnlyMemory<byte> content, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _chunksWritten);
        if (KeepContent)
        {
            _blobs[name] = content.ToArray();
        }
        return Task.CompletedTask;
    }

    public Task<ReadOnlyMemory<byte>?> GetAsync(string name, CancellationToken cancellationToken) =>
        Task.FromResult(_blobs.TryGetValue(name, out var content) ? (ReadOnlyMemory<byte>?)content : null);

    public Task DeleteAsync(string name, CancellationToken cancellationToken)
    {
        _blobs.TryRemove(name, out _);
        return Task.CompletedTask;
    }
}
