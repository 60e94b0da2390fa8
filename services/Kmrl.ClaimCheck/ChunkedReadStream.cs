using System.Security.Cryptography;
using Kmrl.BuildingBlocks.Streams;
using Kmrl.Contracts;

namespace Kmrl.ClaimCheck;

/// <summary>
/// Reads a chunked blob one chunk at a time and checks the SHA-256 at the end, so corruption in the store
/// surfaces as an error instead of as wrong text downstream.
/// </summary>
internal sealed class ChunkedReadStream(IBlobStorage storage, BlobReference blob) : ReadOnlyStream
{
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private ReadOnlyMemory<byte> _current = ReadOnlyMemory<byte>.Empty;
    private int _nextChunk;
    private long _position;

    public override long Length => blob.Size;

    public override long Position
    {
        get => _position;
        set => throw new NotSupportedException("A chunked blob is read forward only.");
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (buffer.IsEmpty)
        {
            return 0;
        }
        while (_current.IsEmpty)
        {
            if (_nextChunk >= blob.ChunkCount)
            {
                VerifyComplete();
                return 0;
            }
            var name = BlobNames.Chunk(blob.Key, _nextChunk);
            _current = await storage.GetAsync(name, cancellationToken)
                ?? throw new InvalidDataException($"Chunk {_nextChunk} of blob '{blob.Key}' is missing.");
            _nextChunk++;
        }

        var count = Math.Min(buffer.Length, _current.Length);
        var slice = _current[..count];
        slice.CopyTo(buffer);
        _hash.AppendData(slice.Span);
        _current = _current[count..];
        _position += count;
        return count;
    }

    public override int Read(Span<byte> buffer) =>
        throw new NotSupportedException("Chunks are fetched from the sidecar: read this stream asynchronously.");

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _hash.Dispose();
        }
        base.Dispose(disposing);
    }

    private void VerifyComplete()
    {
        if (_position != blob.Size)
        {
            throw new InvalidDataException($"Blob '{blob.Key}' ended after {_position} of {blob.Size} bytes.");
        }
        var actual = Convert.ToHexStringLower(_hash.GetCurrentHash());
        if (!string.Equals(actual, blob.Sha256, StringComparison.OrdinalIgnoreCase))
        {
            throw new InvalidDataException($"Blob '{blob.Key}' does not match its SHA-256 (stored {blob.Sha256}, read {actual}).");
        }
    }
}
