using System.Security.Cryptography;
using Kmrl.Contracts;
using Microsoft.Extensions.Options;

namespace Kmrl.ClaimCheck.Tests;

public sealed class ChunkedContentStoreTests
{
    private const int ChunkSize = 64 * 1024;
    private readonly InMemoryBlobStorage _storage = new();
    private readonly ChunkedContentStore _store;

    public ChunkedContentStoreTests()
    {
        _store = new ChunkedContentStore(_storage, Options.Create(new ClaimCheckOptions { ChunkSizeBytes = ChunkSize }));
    }

    [Theory]
    [InlineData(0, 0)]
    [InlineData(1, 1)]
    [InlineData(ChunkSize, 1)]
    [InlineData(ChunkSize + 1, 2)]
    [InlineData(10 * ChunkSize + 123, 11)]
    public async Task Content_round_trips_in_the_expected_number_of_chunks(int size, int expectedChunks)
    {
        var content = RandomNumberGenerator.GetBytes(size);

        var blob = await _store.WriteAsync("doc-1", new MemoryStream(content), CancellationToken.None);
        await using var read = await _store.OpenReadAsync(blob, CancellationToken.None);
        var copy = new MemoryStream();
        await read.CopyToAsync(copy);

        Assert.Equal(expectedChunks, blob.ChunkCount);
        Assert.Equal(size, blob.Size);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(content)), blob.Sha256);
        Assert.Equal(content, copy.ToArray());
    }

    [Fact]
    public async Task A_stream_that_returns_short_reads_still_fills_whole_chunks()
    {
        var content = RandomNumberGenerator.GetBytes(3 * ChunkSize);

        var blob = await _store.WriteAsync("trickle", new TrickleStream(content, 1000), CancellationToken.None);

        Assert.Equal(3, blob.ChunkCount);
        Assert.All(Enumerable.Range(0, 3), i => Assert.Equal(ChunkSize, _storage.Objects[BlobNames.Chunk("trickle", i)].Length));
    }

    [Fact]
    public async Task A_gibibyte_goes_through_in_bounded_chunks_without_growing_memory()
    {
        const long size = 1L << 30;
        var storage = new HashingSink();
        var store = new ChunkedContentStore(storage, Options.Create(new ClaimCheckOptions()));
        var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);

        var blob = await store.WriteAsync("large", new GeneratedStream(size), CancellationToken.None);

        var allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
        Assert.Equal(1024, blob.ChunkCount);
        Assert.Equal(1024 * 1024, storage.LargestPut);
        Assert.Equal(size, blob.Size);
        Assert.Equal(storage.Sha256OfEverythingPut(), blob.Sha256);
        // One pooled chunk buffer is reused: allocations stay a tiny fraction of the 1 GiB that passed through.
        Assert.True(allocated < 16L * 1024 * 1024, $"Allocated {allocated:N0} bytes for a 1 GiB write.");
    }

    [Fact]
    public async Task Reading_a_blob_whose_chunk_was_altered_fails_instead_of_returning_wrong_bytes()
    {
        var blob = await _store.WriteAsync("tampered", new MemoryStream(RandomNumberGenerator.GetBytes(2 * ChunkSize)), CancellationToken.None);
        _storage.Objects[BlobNames.Chunk("tampered", 1)][10] ^= 0xFF;

        await using var read = await _store.OpenReadAsync(blob, CancellationToken.None);

        await Assert.ThrowsAsync<InvalidDataException>(() => read.CopyToAsync(Stream.Null));
    }

    [Fact]
    public async Task Opening_a_blob_without_a_manifest_reports_it_missing()
    {
        var missing = new BlobReference("never-written", 10, new string('0', 64), 1, ChunkSize);

        var error = await Assert.ThrowsAsync<BlobNotFoundException>(() => _store.OpenReadAsync(missing, CancellationToken.None));

        Assert.Equal("never-written", error.Key);
    }

    [Fact]
    public async Task A_reference_to_other_content_under_the_same_key_is_refused()
    {
        var blob = await _store.WriteAsync("reused", new MemoryStream([1, 2, 3]), CancellationToken.None);
        await _store.WriteAsync("reused", new MemoryStream([4, 5, 6]), CancellationToken.None);

        await Assert.ThrowsAsync<InvalidDataException>(() => _store.OpenReadAsync(blob, CancellationToken.None));
    }

    [Fact]
    public async Task Deleting_removes_the_manifest_and_every_chunk_and_can_be_repeated()
    {
        var blob = await _store.WriteAsync("gone", new MemoryStream(RandomNumberGenerator.GetBytes(3 * ChunkSize)), CancellationToken.None);

        await _store.DeleteAsync(blob, CancellationToken.None);
        await _store.DeleteAsync(blob, CancellationToken.None);

        Assert.Empty(_storage.Objects);
    }

    [Fact]
    public async Task A_write_whose_content_fails_midway_leaves_no_chunk_behind_and_rethrows_the_failure()
    {
        var content = new FailingAfterStream(RandomNumberGenerator.GetBytes(3 * ChunkSize), failAfter: 2 * ChunkSize + 10);

        var error = await Assert.ThrowsAsync<IOException>(() => _store.WriteAsync("half", content, CancellationToken.None));

        Assert.Equal(FailingAfterStream.Message, error.Message);
        Assert.Empty(_storage.Objects);
    }

    [Fact]
    public async Task A_write_whose_chunk_put_fails_removes_the_chunks_already_stored()
    {
        var storage = new FailingPutStorage(failOnPut: 3);
        var store = new ChunkedContentStore(storage, Options.Create(new ClaimCheckOptions { ChunkSizeBytes = ChunkSize }));

        await Assert.ThrowsAsync<InvalidOperationException>(
            () => store.WriteAsync("put-fails", new MemoryStream(RandomNumberGenerator.GetBytes(5 * ChunkSize)), CancellationToken.None));

        Assert.Equal(3, storage.Puts);
        Assert.Empty(storage.Objects);
    }

    [Fact]
    public async Task A_cancelled_write_still_removes_what_it_wrote()
    {
        using var cancel = new CancellationTokenSource();
        var content = new FailingAfterStream(RandomNumberGenerator.GetBytes(3 * ChunkSize), failAfter: ChunkSize + 1, cancel);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => _store.WriteAsync("cancelled", content, cancel.Token));

        Assert.Empty(_storage.Objects);
    }

    [Theory]
    [InlineData("../etc/passwd")]
    [InlineData("a/b")]
    [InlineData("with space")]
    [InlineData("")]
    public async Task Keys_that_could_escape_the_store_are_refused(string key)
    {
        await Assert.ThrowsAnyAsync<ArgumentException>(() => _store.WriteAsync(key, new MemoryStream([1]), CancellationToken.None));
    }

    /// <summary>Hashes what it is given and keeps nothing, so a 1 GiB test holds no 1 GiB.</summary>
    private sealed class HashingSink : IBlobStorage
    {
        private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);

        public int LargestPut { get; private set; }

        public string Sha256OfEverythingPut() => Convert.ToHexStringLower(_hash.GetHashAndReset());

        public Task PutAsync(string name, ReadOnlyMemory<byte> content, CancellationToken cancellationToken)
        {
            if (!name.EndsWith(".manifest.json", StringComparison.Ordinal))
            {
                LargestPut = Math.Max(LargestPut, content.Length);
                _hash.AppendData(content.Span);
            }
            return Task.CompletedTask;
        }

        public Task<ReadOnlyMemory<byte>?> GetAsync(string name, CancellationToken cancellationToken) =>
            Task.FromResult<ReadOnlyMemory<byte>?>(null);

        public Task DeleteAsync(string name, CancellationToken cancellationToken) => Task.CompletedTask;
    }

    /// <summary>Serves its bytes, then fails (or cancels <paramref name="cancel"/>) once <paramref name="failAfter"/> are read.</summary>
    private sealed class FailingAfterStream(byte[] content, int failAfter, CancellationTokenSource? cancel = null) : MemoryStream(content)
    {
        public const string Message = "The source connection dropped.";

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (Position >= failAfter)
            {
                if (cancel is null)
                {
                    throw new IOException(Message);
                }
                await cancel.CancelAsync();
                cancellationToken.ThrowIfCancellationRequested();
            }
            return await base.ReadAsync(buffer[..(int)Math.Min(buffer.Length, failAfter - Position)], cancellationToken);
        }
    }

    /// <summary>Stores objects in memory but refuses the <paramref name="failOnPut"/>-th put (after storing it, as a timeout can).</summary>
    private sealed class FailingPutStorage(int failOnPut) : IBlobStorage
    {
        public Dictionary<string, byte[]> Objects { get; } = new(StringComparer.Ordinal);

        public int Puts { get; private set; }

        public Task PutAsync(string name, ReadOnlyMemory<byte> content, CancellationToken cancellationToken)
        {
            Objects[name] = content.ToArray();
            return ++Puts == failOnPut ? throw new InvalidOperationException("The blob binding timed out.") : Task.CompletedTask;
        }

        public Task<ReadOnlyMemory<byte>?> GetAsync(string name, CancellationToken cancellationToken) =>
            Task.FromResult(Objects.TryGetValue(name, out var bytes) ? (ReadOnlyMemory<byte>?)bytes : null);

        public Task DeleteAsync(string name, CancellationToken cancellationToken)
        {
            Objects.Remove(name);
            return Task.CompletedTask;
        }
    }

    private sealed class TrickleStream(byte[] content, int maxRead) : MemoryStream(content)
    {
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            base.ReadAsync(buffer[..Math.Min(buffer.Length, maxRead)], cancellationToken);
    }
}
