using System.Collections.Concurrent;
using Kmrl.ClaimCheck;
using Kmrl.Connectors.Ports;

namespace Kmrl.Connectors.Email.Tests.Support;

/// <summary>In-memory stand-ins for the host's Dapr ports, so the real SyncRunner drives the real IMAP source.</summary>
public sealed class InMemoryHostPorts : ISyncLock, ICheckpointStore, IEventPublisher, ISkippedItemStore, IBlobStorage
{
    private readonly ConcurrentDictionary<string, StoredCheckpoint> _checkpoints = new();
    private readonly ConcurrentDictionary<string, byte[]> _blobs = new();

    public ConcurrentQueue<(string Topic, object Event)> Published { get; } = new();

    public ConcurrentQueue<object> Skipped { get; } = new();

    public string? CheckpointOf(string connector, string source) =>
        _checkpoints.TryGetValue($"{connector}|{source}", out var stored) ? stored.Checkpoint.Value : null;

    public Task<ISyncLease?> TryAcquireAsync(string resourceId, TimeSpan leaseDuration, CancellationToken cancellationToken) =>
        Task.FromResult<ISyncLease?>(new Lease(resourceId, DateTimeOffset.UtcNow + leaseDuration));

    public Task<StoredCheckpoint?> LoadAsync(string connector, string source, CancellationToken cancellationToken) =>
        Task.FromResult(_checkpoints.TryGetValue($"{connector}|{source}", out var stored) ? stored : null);

    public Task<string?> TrySaveAsync(string connector, string source, CheckpointRecord checkpoint, string? expectedETag, CancellationToken cancellationToken)
    {
        var key = $"{connector}|{source}";
        var current = _checkpoints.TryGetValue(key, out var stored) ? stored.ETag : null;
        if (current != expectedETag)
        {
            return Task.FromResult<string?>(null);
        }
        var etag = Guid.NewGuid().ToString("N");
        _checkpoints[key] = new StoredCheckpoint(checkpoint, etag);
        return Task.FromResult<string?>(etag);
    }

    public Task PublishAsync<TEvent>(string topic, TEvent integrationEvent, CancellationToken cancellationToken) where TEvent : class
    {
        Published.Enqueue((topic, integrationEvent));
        return Task.CompletedTask;
    }

    public Task RecordRejectedAsync(RejectedItem item, CancellationToken cancellationToken)
    {
        Skipped.Enqueue(item);
        return Task.CompletedTask;
    }

    public Task RecordDeadLetterAsync(DeadLetteredItem item, CancellationToken cancellationToken)
    {
        Skipped.Enqueue(item);
        return Task.CompletedTask;
    }

    public Task PutAsync(string name, ReadOnlyMemory<byte> content, CancellationToken cancellationToken)
    {
        _blobs[name] = content.ToArray();
        return Task.CompletedTask;
    }

    public Task<ReadOnlyMemory<byte>?> GetAsync(string name, CancellationToken cancellationToken) =>
        Task.FromResult(_blobs.TryGetValue(name, out var bytes) ? (ReadOnlyMemory<byte>?)bytes : null);

    public Task DeleteAsync(string name, CancellationToken cancellationToken)
    {
        _blobs.TryRemove(name, out _);
        return Task.CompletedTask;
    }

    private sealed record Lease(string ResourceId, DateTimeOffset ExpiresAt) : ISyncLease
    {
        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
