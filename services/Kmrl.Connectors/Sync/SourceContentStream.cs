using Kmrl.BuildingBlocks.Streams;

namespace Kmrl.Connectors.Sync;

/// <summary>
/// Wraps a source's content stream on its way into the claim check: counts bytes, stops at the size limit when the
/// source did not know the size up front, and marks read errors as the source's (not the blob store's).
/// </summary>
internal sealed class SourceContentStream(Stream inner, long maxBytes, CancellationToken runToken) : ReadOnlyStream
{
    public long BytesRead { get; private set; }

    public override long Position
    {
        get => BytesRead;
        set => throw new NotSupportedException();
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        int read;
        try
        {
            read = await inner.ReadAsync(buffer, cancellationToken);
        }
        catch (Exception exception) when (!runToken.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new SourceContentException(exception);
        }
        BytesRead += read;
        if (BytesRead > maxBytes)
        {
            throw new DocumentTooLargeException(BytesRead, maxBytes);
        }
        return read;
    }

    public override async ValueTask DisposeAsync()
    {
        await inner.DisposeAsync();
        await base.DisposeAsync();
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            inner.Dispose();
        }
        base.Dispose(disposing);
    }
}

/// <summary>Opening or reading a document at the source failed (as opposed to storing or publishing it).</summary>
internal sealed class SourceContentException(Exception inner) : Exception(inner.Message, inner);

/// <summary>The content turned out larger than the limit while streaming.</summary>
internal sealed class DocumentTooLargeException(long bytesRead, long maxBytes)
    : Exception(DocumentFilter.TooLarge(bytesRead, maxBytes))
{
    public long BytesRead { get; } = bytesRead;
}

/// <summary>The content turned out to have no bytes at all.</summary>
internal sealed class DocumentEmptyException() : Exception(DocumentFilter.Empty);
