using System.Collections.Concurrent;
using System.Security.Cryptography;
using Kmrl.BuildingBlocks.PubSub;
using Kmrl.ClaimCheck;
using Kmrl.Connectors.Ports;

namespace Kmrl.Connectors.Tests.Fakes;

/// <summary>A state store for checkpoints with real ETag semantics and hooks to inject a rival writer or a crash.</summary>
internal sealed class InMemoryCheckpointStore : ICheckpointStore
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, StoredCheckpoint> _stored = new(StringComparer.Ordinal);
    private int _version;

    /// <summary>Runs before every save with the record about to be saved (may throw to simulate a crash).</summary>
    public Action<string, CheckpointRecord>? BeforeSave { get; set; }

    public List<string> SavedValues { get; } = [];

    public Task<StoredCheckpoint?> LoadAsync(string connector, string source, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return Task.FromResult(_stored.GetValueOrDefault(Key(connector, source)));
        }
    }

    public Task<string?> TrySaveAsync(string connector, string source, CheckpointRecord checkpoint, string? expectedETag, CancellationToken cancellationToken)
    {
        BeforeSave?.Invoke(source, checkpoint);
        lock (_gate)
        {
            var key = Key(connector, source);
            var current = _stored.GetValueOrDefault(key);
            if (current?.ETag != expectedETag)
            {
                return Task.FromResult<string?>(null);
            }
            var etag = (++_version).ToString(System.Globalization.CultureInfo.InvariantCulture);
            _stored[key] = new StoredCheckpoint(checkpoint, etag);
            SavedValues.Add(checkpoint.Value);
            return Task.FromResult<string?>(etag);
        }
    }

    /// <summary>What another replica would do: save without looking at our ETag.</summary>
    public void SaveAsAnotherReplica(string connector, string source, string value)
    {
        lock (_gate)
        {
            var etag = (++_version).ToString(System.Globalization.CultureInfo.InvariantCulture);
            _stored[Key(connector, source)] = new StoredCheckpoint(new CheckpointRecord(value, DateTimeOffset.UnixEpoch, "other-replica"), etag);
        }
    }

    public string? ValueOf(string connector, string source)
    {
        lock (_gate)
        {
            return _stored.GetValueOrDefault(Key(connector, source))?.Checkpoint.Value;
        }
    }

    private static string Key(string connector, string source) => connector + "|" + source;
}

/// <summary>A lock store shared by "replicas": leases are held until released or expired by <see cref="TimeProvider"/>.</summary>
internal sealed class InMemorySyncLock(TimeProvider timeProvider) : ISyncLock
{
    private readonly ConcurrentDictionary<string, DateTimeOffset> _held = new(StringComparer.Ordinal);

    public List<TimeSpan> RequestedLeases { get; } = [];

    public Task<ISyncLease?> TryAcquireAsync(string resourceId, TimeSpan leaseDuration, CancellationToken cancellationToken)
    {
        lock (RequestedLeases)
        {
            RequestedLeases.Add(leaseDuration);
        }
        var now = timeProvider.GetUtcNow();
        var expiresAt = now + leaseDuration;
        var acquired = false;
        _held.AddOrUpdate(resourceId,
            _ => { acquired = true; return expiresAt; },
            (_, current) =>
            {
                if (current > now)
                {
                    return current;
                }
                acquired = true;
                return expiresAt;
            });
        return Task.FromResult<ISyncLease?>(acquired ? new Lease(this, resourceId, expiresAt) : null);
    }

    public void HoldAsAnotherReplica(string resourceId, TimeSpan duration) => _held[resourceId] = timeProvider.GetUtcNow() + duration;

    public bool IsHeld(string resourceId) => _held.TryGetValue(resourceId, out var until) && until > timeProvider.GetUtcNow();

    private sealed class Lease(InMemorySyncLock owner, string resourceId, DateTimeOffset expiresAt) : ISyncLease
    {
        public string ResourceId => resourceId;

        public DateTimeOffset ExpiresAt => expiresAt;

        public ValueTask DisposeAsync()
        {
            owner._held.TryRemove(resourceId, out _);
            return ValueTask.CompletedTask;
        }
    }
}

internal sealed class RecordingPublisher : IEventPublisher
{
    private readonly Lock _gate = new();
    private readonly List<(string Topic, object Event)> _published = [];

    /// <summary>Runs before an event counts as published (may throw to make the publish fail).</summary>
    public Action<string, object>? BeforePublish { get; set; }

    public IReadOnlyList<(string Topic, object Event)> Published
    {
        get
        {
            lock (_gate)
            {
                return [.. _published];
            }
        }
    }

    public IReadOnlyList<T> Events<T>() => [.. Published.Select(p => p.Event).OfType<T>()];

    public Task PublishAsync<TEvent>(string topic, TEvent integrationEvent, CancellationToken cancellationToken) where TEvent : class
    {
        BeforePublish?.Invoke(topic, integrationEvent);
        lock (_gate)
        {
            _published.Add((topic, integrationEvent));
        }
        return Task.CompletedTask;
    }
}

/// <summary>Records every skipped item; lists the dead letters as the state-store adapter does (one per source id, newest first).</summary>
internal sealed class InMemorySkippedItemStore : ISkippedItemStore, IDeadLetterLog
{
    private readonly ConcurrentDictionary<string, DeadLetteredItem> _listed = new(StringComparer.Ordinal);

    public ConcurrentQueue<RejectedItem> Rejected { get; } = new();

    public ConcurrentQueue<DeadLetteredItem> DeadLetters { get; } = new();

    public Task RecordRejectedAsync(RejectedItem item, CancellationToken cancellationToken)
    {
        Rejected.Enqueue(item);
        return Task.CompletedTask;
    }

    public Task RecordDeadLetterAsync(DeadLetteredItem item, CancellationToken cancellationToken)
    {
        DeadLetters.Enqueue(item);
        _listed[Dapr.StateKeys.DeadLetterId(item.Source, item.SourceId)] = item;
        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<StoredDeadLetter>> ListAsync(string connector, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<StoredDeadLetter>>([.. _listed.Where(p => p.Value.Connector == connector)
            .Select(p => new StoredDeadLetter(p.Key, p.Value)).OrderByDescending(l => l.Item.DeadLetteredAt)]);

    public Task<StoredDeadLetter?> GetAsync(string connector, string id, CancellationToken cancellationToken) =>
        Task.FromResult(_listed.TryGetValue(id, out var item) && item.Connector == connector ? new StoredDeadLetter(id, item) : null);

    public Task RemoveAsync(string connector, string id, CancellationToken cancellationToken)
    {
        _listed.TryRemove(id, out _);
        return Task.CompletedTask;
    }
}

/// <summary>
/// Blob storage that keeps small objects (so they can be read back) but only counts and hashes large content:
/// what it reports as held is what a real store would have been sent, and the test's memory stays flat.
/// </summary>
internal sealed class CountingBlobStorage(bool keepContent = true) : IBlobStorage
{
    private readonly ConcurrentDictionary<string, byte[]> _objects = new(StringComparer.Ordinal);
    private readonly IncrementalHash _chunkHash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);

    public int ChunkPuts { get; private set; }

    public long ChunkBytes { get; private set; }

    public int LargestPut { get; private set; }

    public long BytesHeld => _objects.Values.Sum(o => (long)o.Length);

    public int Deletes { get; private set; }

    /// <summary>SHA-256 of every chunk sent, in order: what the content store should report.</summary>
    public string ChunkSha256 => Convert.ToHexStringLower(_chunkHash.GetCurrentHash());

    public Task PutAsync(string name, ReadOnlyMemory<byte> content, CancellationToken cancellationToken)
    {
        LargestPut = Math.Max(LargestPut, content.Length);
        var isChunk = name.Contains(".chunk-", StringComparison.Ordinal);
        if (isChunk)
        {
            ChunkPuts++;
            ChunkBytes += content.Length;
            _chunkHash.AppendData(content.Span);
        }
        if (keepContent || !isChunk)
        {
            _objects[name] = content.ToArray();
        }
        return Task.CompletedTask;
    }

    public Task<ReadOnlyMemory<byte>?> GetAsync(string name, CancellationToken cancellationToken) =>
        Task.FromResult(_objects.TryGetValue(name, out var bytes) ? (ReadOnlyMemory<byte>?)bytes : null);

    public Task DeleteAsync(string name, CancellationToken cancellationToken)
    {
        Deletes++;
        _objects.TryRemove(name, out _);
        return Task.CompletedTask;
    }

    public IReadOnlyCollection<string> Names => [.. _objects.Keys];
}
