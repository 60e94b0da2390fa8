using System.Buffers;
using MailKit;

namespace Kmrl.Connectors.Email.Imap;

/// <summary>
/// The encoded bytes of one body section, read with partial fetches (<c>BODY.PEEK[section]&lt;offset.count&gt;</c>)
/// of at most one chunk each: a 200 MiB attachment never sits in memory, and the message is never downloaded whole.
/// </summary>
internal sealed class ImapSectionStream(ImapFolderSession session, UniqueId uid, string section, int chunkSize) : Stream
{
    private readonly byte[] _buffer = ArrayPool<byte>.Shared.Rent(chunkSize);
    private int _bufferOffset;
    private int _bufferCount;
    private long _fetched;
    private bool _endReached;
    private bool _disposed;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => _fetched - (_bufferCount - _bufferOffset);
        set => throw new NotSupportedException();
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> destination, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (destination.Length == 0)
        {
            return 0;
        }
        if (_bufferOffset == _bufferCount)
        {
            if (_endReached)
            {
                return 0;
            }
            var offset = checked((int)_fetched);
            await session.RunAsync(async (_, folder, token) =>
            {
                await using var chunk = await folder.GetStreamAsync(uid, section, offset, chunkSize, token);
                return await FillAsync(chunk, token);
            }, cancellationToken);
            if (_bufferCount == 0)
            {
                return 0;
            }
        }
        return Take(destination.Span);
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (count == 0)
        {
            return 0;
        }
        if (_bufferOffset == _bufferCount)
        {
            if (_endReached)
            {
                return 0;
            }
            var start = checked((int)_fetched);
            session.Run(folder =>
            {
                using var chunk = folder.GetStream(uid, section, start, chunkSize);
                return Fill(chunk);
            });
            if (_bufferCount == 0)
            {
                return 0;
            }
        }
        return Take(buffer.AsSpan(offset, count));
    }

    private async Task<int> FillAsync(Stream chunk, CancellationToken cancellationToken)
    {
        var total = 0;
        int read;
        while (total < chunkSize && (read = await chunk.ReadAsync(_buffer.AsMemory(total, chunkSize - total), cancellationToken)) > 0)
        {
            total += read;
        }
        return Filled(total);
    }

    private int Fill(Stream chunk)
    {
        var total = 0;
        int read;
        while (total < chunkSize && (read = chunk.Read(_buffer, total, chunkSize - total)) > 0)
        {
            total += read;
        }
        return Filled(total);
    }

    private int Filled(int total)
    {
        _bufferOffset = 0;
        _bufferCount = total;
        _fetched += total;
        // A short chunk means the section ended (the server returns what is left).
        _endReached = total < chunkSize;
        return total;
    }

    private int Take(Span<byte> destination)
    {
        var count = Math.Min(destination.Length, _bufferCount - _bufferOffset);
        _buffer.AsSpan(_bufferOffset, count).CopyTo(destination);
        _bufferOffset += count;
        return count;
    }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (!_disposed)
        {
            _disposed = true;
            ArrayPool<byte>.Shared.Return(_buffer);
        }
        base.Dispose(disposing);
    }
}
