using System.Buffers;
using System.Security.Cryptography;
using System.Text.Json;
using Kmrl.Contracts;
using Microsoft.Extensions.Options;

namespace Kmrl.ClaimCheck;

/// <summary>
/// Stores content as fixed-size chunks plus a small manifest, hashing on the way. One chunk buffer is held at a
/// time, so memory does not grow with the document. A write that fails (the content stream throws, a put fails, the
/// call is cancelled) deletes what it wrote before rethrowing: callers never need to know the chunk layout.
/// </summary>
public sealed class ChunkedContentStore(IBlobStorage storage, IOptions<ClaimCheckOptions> options) : IDocumentContentStore
{
    /// <summary>
    /// Chunk buffers kept for reuse. A pool of the store's own, not ArrayPool.Shared: the shared pool keeps a buffer
    /// per thread and more per core for every size, so under 32 concurrent uploads it held 40-50 chunk buffers (1 MiB
    /// each), growing with the thread pool (R5: 53 MiB of live heap held by neither the app nor the sidecar).
    /// Writes beyond this many at once allocate and drop their buffer.
    /// </summary>
    internal const int PooledChunkBuffers = 16;

    private readonly int _chunkSize = options.Value.ChunkSizeBytes;
    private readonly ArrayPool<byte> _buffers = ArrayPool<byte>.Create(options.Value.ChunkSizeBytes, PooledChunkBuffers);

    public async Task<BlobReference> WriteAsync(string key, Stream content, CancellationToken cancellationToken)
    {
        BlobNames.Validate(key);
        ArgumentNullException.ThrowIfNull(content);

        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = _buffers.Rent(_chunkSize);
        // Chunks started (a failed put may still have stored its object), so a failure knows what to remove.
        var chunksStarted = 0;
        try
        {
            long size = 0;
            var chunkCount = 0;
            while (true)
            {
                var filled = await FillAsync(content, buffer.AsMemory(0, _chunkSize), cancellationToken);
                if (filled == 0)
                {
                    break;
                }
                var chunk = buffer.AsMemory(0, filled);
                hash.AppendData(chunk.Span);
                chunksStarted = chunkCount + 1;
                await storage.PutAsync(BlobNames.Chunk(key, chunkCount), chunk, cancellationToken);
                size += filled;
                chunkCount++;
                if (filled < _chunkSize)
                {
                    break;
                }
            }

            var blob = new BlobReference(key, size, Convert.ToHexStringLower(hash.GetHashAndReset()), chunkCount, _chunkSize);
            // The manifest goes last: a reader that finds it knows every chunk is in place.
            await storage.PutAsync(BlobNames.Manifest(key), JsonSerializer.SerializeToUtf8Bytes(blob, ManifestJson.Options), cancellationToken);
            return blob;
        }
        catch (Exception)
        {
            await DeletePartialAsync(key, chunksStarted);
            throw;
        }
        finally
        {
            _buffers.Return(buffer);
        }
    }

    /// <summary>
    /// Best effort, and never with the caller's token: the write may have failed because that token was cancelled.
    /// A delete that fails here is not reported over the write's own failure; the chunks have no manifest, so nothing
    /// can read them as a blob.
    /// </summary>
    private async Task DeletePartialAsync(string key, int chunks)
    {
        var names = new List<string>(chunks + 1) { BlobNames.Manifest(key) };
        names.AddRange(Enumerable.Range(0, chunks).Select(index => BlobNames.Chunk(key, index)));
        foreach (var name in names)
        {
            try
            {
                await storage.DeleteAsync(name, CancellationToken.None);
            }
            catch (Exception)
            {
                // See the summary: the write's own exception is the one the caller needs.
            }
        }
    }

    public async Task<Stream> OpenReadAsync(BlobReference blob, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(blob);
        BlobNames.Validate(blob.Key);
        var manifest = await storage.GetAsync(BlobNames.Manifest(blob.Key), cancellationToken)
            ?? throw new BlobNotFoundException(blob.Key);
        var stored = JsonSerializer.Deserialize<BlobReference>(manifest.Span, ManifestJson.Options)
            ?? throw new InvalidDataException($"The manifest of blob '{blob.Key}' is empty.");
        if (!string.Equals(stored.Sha256, blob.Sha256, StringComparison.OrdinalIgnoreCase) || stored.Size != blob.Size)
        {
            throw new InvalidDataException($"Blob '{blob.Key}' holds other content than the reference names (SHA-256 {stored.Sha256}, not {blob.Sha256}).");
        }
        return new ChunkedReadStream(storage, stored);
    }

    public async Task DeleteAsync(BlobReference blob, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(blob);
        BlobNames.Validate(blob.Key);
        // Manifest first, so a half-deleted blob reads as missing rather than as truncated.
        await storage.DeleteAsync(BlobNames.Manifest(blob.Key), cancellationToken);
        for (var index = 0; index < blob.ChunkCount; index++)
        {
            await storage.DeleteAsync(BlobNames.Chunk(blob.Key, index), cancellationToken);
        }
    }

    private static async Task<int> FillAsync(Stream content, Memory<byte> buffer, CancellationToken cancellationToken)
    {
        var filled = 0;
        while (filled < buffer.Length)
        {
            var read = await content.ReadAsync(buffer[filled..], cancellationToken);
            if (read == 0)
            {
                break;
            }
            filled += read;
        }
        return filled;
    }
}

internal static class ManifestJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web);
}
