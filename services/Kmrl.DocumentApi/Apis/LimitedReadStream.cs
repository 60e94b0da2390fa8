using Kmrl.BuildingBlocks.Streams;

namespace Kmrl.DocumentApi.Apis;

public sealed class UploadTooLargeException(long limit) : Exception($"The file is larger than {limit} bytes.")
{
    public long Limit { get; } = limit;
}

/// <summary>Passes an upload through and stops it as soon as it passes the size cap, without buffering it.</summary>
public sealed class LimitedReadStream(Stream inner, long limit) : ReadOnlyStream
{
    private long _read;

    public override long Position { get => _read; set => throw new NotSupportedException(); }

    public override int Read(Span<byte> buffer) => Count(inner.Read(buffer));

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        Count(await inner.ReadAsync(buffer, cancellationToken));

    private int Count(int read)
    {
        _read += read;
        if (_read > limit) throw new UploadTooLargeException(limit);
        return read;
    }
}
