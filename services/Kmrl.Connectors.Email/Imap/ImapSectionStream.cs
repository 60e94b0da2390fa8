using System.Buffers;
using Kmrl.BuildingBlocks.Streams;
using MailKit;

namespace Kmrl.Connectors.Email.Imap;

/// <summary>
/// The encoded bytes of one body section, read with partial fetches (<c>BODY.PEEK[section]&lt;offset.count&gt;</c>)
/// of at most one chunk each: a 200 MiB attachment never sits in memory, and the message is never downloaded whole.
/// </summary>
internal sealed class ImapSectionStream(ImapFolderSession session, UniqueId uid, string section, int chunkSize) : ReadOnlyStream
{
    private readonly byte[] _buffer = ArrayPool<byte>.Shared.Rent(chunkSize);
    private int _bufferOffset;
    private int _bufferCount;
    private long _fetched;
    private bool _endReached;
    private bool _disposed;

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

    public override int Read(Span<byte> destination)
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
        return Take(destination);
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
