using System.Net.Security;
using System.Net.Sockets;
using Kmrl.BuildingBlocks.Streams;

namespace Kmrl.Connectors.Maximo.Ftp;

/// <summary>
/// The data side of one LIST/MLSD/RETR. At end of data it closes TLS (pure-ftpd waits for the client's
/// close_notify before it sends 226), closes the socket and reads the final reply, so a failed transfer surfaces
/// as an exception before the reader believes it has everything.
/// </summary>
internal sealed class FtpTransferStream(FtpClient client, TcpClient data, Stream stream, TimeSpan timeout) : ReadOnlyStream
{
    private readonly CancellationTokenSource _readTimeout = new();
    private bool _completed;
    private bool _disposed;

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_completed || buffer.Length == 0)
        {
            return 0;
        }
        int read;
        // One reusable timer source per stream: a stalled server must not hang a poll forever.
        if (!_readTimeout.TryReset())
        {
            throw new TimeoutException("The FTP data connection timed out.");
        }
        using (var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _readTimeout.Token))
        {
            _readTimeout.CancelAfter(timeout);
            try
            {
                read = await stream.ReadAsync(buffer, linked.Token);
            }
            catch (OperationCanceledException) when (_readTimeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                throw new TimeoutException($"No data from the FTP server within {timeout}.");
            }
        }
        if (read == 0)
        {
            await CompleteAsync(cancellationToken);
        }
        return read;
    }

    private async Task CompleteAsync(CancellationToken cancellationToken)
    {
        _completed = true;
        if (stream is SslStream ssl)
        {
            await ssl.ShutdownAsync();
        }
        await stream.DisposeAsync();
        data.Dispose();
        await client.CompleteTransferAsync(cancellationToken);
    }

    public override async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        if (!_completed)
        {
            await stream.DisposeAsync();
            data.Dispose();
            client.AbandonTransfer();
        }
        _readTimeout.Dispose();
        await base.DisposeAsync();
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing && !_disposed)
        {
            _disposed = true;
            if (!_completed)
            {
                stream.Dispose();
                data.Dispose();
                client.AbandonTransfer();
            }
            _readTimeout.Dispose();
        }
        base.Dispose(disposing);
    }
}
