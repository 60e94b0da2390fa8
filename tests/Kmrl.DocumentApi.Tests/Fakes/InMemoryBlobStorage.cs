using System.Collections.Concurrent;
using Kmrl.ClaimCheck;
using Microsoft.Extensions.Options;

namespace Kmrl.DocumentApi.Tests.Fakes;

/// <summary>Named objects in memory, under the real chunked claim check.</summary>
public sealed class InMemoryBlobStorage : IBlobStorage
{
    public ConcurrentDictionary<string, byte[]> Objects { get; } = new();

    public Task PutAsync(string name, ReadOnlyMemory<byte> content, CancellationToken cancellationToken)
    {
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

    /// <summary>A content store with small chunks, so multi-chunk reads are exercised by ordinary documents.</summary>
    public static (IDocumentContentStore Store, InMemoryBlobStorage Storage) NewStore()
    {
        var storage = new InMemoryBlobStorage();
        return (new ChunkedContentStore(storage, Options.Create(new ClaimCheckOptions { ChunkSizeBytes = 16 * 1024 })), storage);
    }
}
