using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using Kmrl.BuildingBlocks.PubSub;
using Kmrl.ClaimCheck;
using Kmrl.Connectors.Ports;
using Kmrl.Contracts;

namespace Kmrl.Connectors.Testing;

// In-memory stand-ins for the connector host's Dapr ports, with the adapters' semantics, so a test runs the real host
// in-process. The one set: SourceContract and ContractHost use them, and so does any test that builds a host of its
// own (ConnectorPorts.ReplaceIn). Each has the hooks a host test needs to play a rival replica or a crash.

/// <summary>
/// A lock store shared by "replicas": a lease is held until it is released or its time is up on the
/// <see cref="TimeProvider"/> (a test's fake clock, or the system's).
/// </summary>
public sealed class InMemorySyncLock(TimeProvider? timeProvider = null) : ISyncLock
{
    private readonly TimeProvider _time = timeProvider ?? TimeProvider.System;
    private readonly ConcurrentDictionary<string, DateTimeOffset> _held = new(StringComparer.Ordinal);
    private readonly List<TimeSpan> _requested = [];

    /// <summary>The lease durations asked for, in order.</summary>
    public IReadOnlyList<TimeSpan> RequestedLeases
    {
        get
        {
            lock (_requested)
            {
                return [.. _requested];
            }
        }
    }

    public Task<ISyncLease?> TryAcquireAsync(string resourceId, TimeSpan leaseDuration, CancellationToken cancellationToken)
    {
        lock (_requested)
        {
            _requested.Add(leaseDuration);
        }
        var now = _time.GetUtcNow();
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

    public void HoldAsAnotherReplica(string resourceId, TimeSpan duration) => _held[resourceId] = _time.GetUtcNow() + duration;

    public bool IsHeld(string resourceId) => _held.TryGetValue(resourceId, out var until) && until > _time.GetUtcNow();

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

/// <summary>
/// Checkpoints with the state store's ETag semantics (<see cref="ICheckpointStore.TrySaveAsync"/>: null expects none
/// stored), and hooks to play a rival writer or a crash.
/// </summary>
public sealed class InMemoryCheckpointStore : ICheckpointStore
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, StoredCheckpoint> _stored = new(StringComparer.Ordinal);
    private readonly List<string> _saved = [];
    private long _version;

    /// <summary>Runs before every save with the source and the record about to be saved (may throw to play a crash).</summary>
    public Action<string, CheckpointRecord>? BeforeSave { get; set; }

    /// <summary>Every value saved, in order.</summary>
    public IReadOnlyList<string> SavedValues
    {
        get
        {
            lock (_gate)
            {
                return [.. _saved];
            }
        }
    }

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
            if (_stored.GetValueOrDefault(key)?.ETag != expectedETag)
            {
                return Task.FromResult<string?>(null);
            }
            _stored[key] = new StoredCheckpoint(checkpoint, NextETag());
            _saved.Add(checkpoint.Value);
            return Task.FromResult<string?>(_stored[key].ETag);
        }
    }

    /// <summary>The stored value, or null when none is stored.</summary>
    public string? ValueOf(string connector, string source)
    {
        lock (_gate)
        {
            return _stored.GetValueOrDefault(Key(connector, source))?.Checkpoint.Value;
        }
    }

    /// <summary>Puts <paramref name="value"/> in place as if an earlier run had stored it (null: nothing stored).</summary>
    public void Seed(string connector, string source, string? value)
    {
        lock (_gate)
        {
            if (value is null)
            {
                _stored.Remove(Key(connector, source));
                return;
            }
            _stored[Key(connector, source)] = new StoredCheckpoint(new CheckpointRecord(value, DateTimeOffset.UnixEpoch, "seeded"), NextETag());
        }
    }

    /// <summary>What another replica would do: save without looking at our ETag.</summary>
    public void SaveAsAnotherReplica(string connector, string source, string value)
    {
        lock (_gate)
        {
            _stored[Key(connector, source)] = new StoredCheckpoint(new CheckpointRecord(value, DateTimeOffset.UnixEpoch, "other-replica"), NextETag());
        }
    }

    private string NextETag() => (++_version).ToString(CultureInfo.InvariantCulture);

    private static string Key(string connector, string source) => connector + "\n" + source;
}

public sealed class RecordingPublisher : IEventPublisher
{
    /// <summary>Runs before an event counts as published (may throw to make the publish fail).</summary>
    public Action<string, object>? BeforePublish { get; set; }

    /// <summary>Every event published, in order, with its topic and when.</summary>
    public ConcurrentQueue<(string Topic, object Event, DateTimeOffset At)> Events { get; } = new();

    public IReadOnlyList<(string Topic, object Event)> Published => [.. Events.Select(e => (e.Topic, e.Event))];

    public IReadOnlyList<DocumentDiscovered> Discovered => Of<DocumentDiscovered>();

    /// <summary>The events of type <typeparamref name="T"/>, in order.</summary>
    public IReadOnlyList<T> Of<T>() => [.. Events.Select(e => e.Event).OfType<T>()];

    public Task PublishAsync<TEvent>(string topic, TEvent integrationEvent, CancellationToken cancellationToken) where TEvent : class
    {
        BeforePublish?.Invoke(topic, integrationEvent);
        Events.Enqueue((topic, integrationEvent, DateTimeOffset.UtcNow));
        return Task.CompletedTask;
    }
}

/// <summary>Records every skipped item; lists the dead letters as the state-store adapter does (one per source id, newest first).</summary>
public sealed class InMemorySkippedItems : ISkippedItemStore, IDeadLetterLog
{
    private readonly ConcurrentDictionary<string, DeadLetteredItem> _listed = new(StringComparer.Ordinal);

    /// <summary>Every rejected and dead-lettered item, in order.</summary>
    public ConcurrentQueue<object> Items { get; } = new();

    public IReadOnlyList<RejectedItem> Rejected => [.. Items.OfType<RejectedItem>()];

    public IReadOnlyList<DeadLetteredItem> DeadLetters => [.. Items.OfType<DeadLetteredItem>()];

    public Task RecordRejectedAsync(RejectedItem item, CancellationToken cancellationToken)
    {
        Items.Enqueue(item);
        return Task.CompletedTask;
    }

    public Task RecordDeadLetterAsync(DeadLetteredItem item, CancellationToken cancellationToken)
    {
        Items.Enqueue(item);
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
/// Blob storage that keeps what it is sent (so it can be read back) and counts and hashes the claim check's chunks:
/// what it reports is what a real store would have been sent.
/// </summary>
public sealed class InMemoryBlobStorage : IBlobStorage
{
    private readonly Lock _gate = new();
    private readonly ConcurrentDictionary<string, byte[]> _objects = new(StringComparer.Ordinal);
    private readonly IncrementalHash _chunkHash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);

    /// <summary>
    /// False: chunks are counted and hashed, then dropped, for tests that stream hundreds of MiB and measure memory
    /// (the claim check's other objects are kept, and the events still carry size and SHA-256).
    /// </summary>
    public bool KeepContent { get; init; } = true;

    public int ChunkPuts { get; private set; }

    public long ChunkBytes { get; private set; }

    public int LargestPut { get; private set; }

    public int Deletes { get; private set; }

    public long BytesHeld => _objects.Values.Sum(o => (long)o.Length);

    public IReadOnlyCollection<string> Names => [.. _objects.Keys];

    /// <summary>SHA-256 of every chunk sent, in order: what the content store should report.</summary>
    public string ChunkSha256
    {
        get
        {
            lock (_gate)
            {
                return Convert.ToHexStringLower(_chunkHash.GetCurrentHash());
            }
        }
    }

    public Task PutAsync(string name, ReadOnlyMemory<byte> content, CancellationToken cancellationToken)
    {
        var isChunk = name.Contains(".chunk-", StringComparison.Ordinal);
        lock (_gate)
        {
            LargestPut = Math.Max(LargestPut, content.Length);
            if (isChunk)
            {
                ChunkPuts++;
                ChunkBytes += content.Length;
                _chunkHash.AppendData(content.Span);
            }
        }
        if (KeepContent || !isChunk)
        {
            _objects[name] = content.ToArray();
        }
        return Task.CompletedTask;
    }

    public Task<ReadOnlyMemory<byte>?> GetAsync(string name, CancellationToken cancellationToken) =>
        Task.FromResult(_objects.TryGetValue(name, out var content) ? (ReadOnlyMemory<byte>?)content : null);

    public Task DeleteAsync(string name, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            Deletes++;
        }
        _objects.TryRemove(name, out _);
        return Task.CompletedTask;
    }
}
