using System.Collections.Concurrent;

namespace Kmrl.ClaimCheck.Tests;

/// <summary>Keeps objects in memory and records the largest single object it was handed.</summary>
internal sealed class InMemoryBlobStorage : IBlobStorage
{
    public ConcurrentDictionary<string, byte[]> Objects { get; } = new();

    public int LargestPut { get; private set; }

    public Task PutAsync(string name, ReadOnlyMemory<byte> content, CancellationToken cancellationToken)
    {
        LargestPut = Math.Max(LargestPut, content.Length);
        Objects[name] = content.ToArray();
        return Task.CompletedTask;
    }

    public Task<ReadOnlyMemory<byte>?> GetAsync(string name, CancellationToken cancellationToken) =>
        Task.FromResult(Objects.TryGetValue(name, out var bytes) ? (ReadOnlyMemory<byte>?)bytes : null);

    public Task DeleteAsync(string name, CancellationToken cancellationToken)
    {
        Objects.TryRemove(name, out _);
        return Task.CompletedTask;
    }
}
