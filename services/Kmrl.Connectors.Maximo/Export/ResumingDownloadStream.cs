using System.Net.Sockets;
using Kmrl.BuildingBlocks.Streams;
using Kmrl.Connectors.Maximo.RemoteFolders;
using Microsoft.Extensions.Logging;

namespace Kmrl.Connectors.Maximo.Export;

/// <summary>
/// Reads one remote file on its own session and, when the connection drops mid-way (an I/O error, a timeout, or
/// end of data before the listed size), logs in again and continues from the bytes already delivered: FTP with
/// <c>REST offset</c> before RETR, SFTP by seeking. The caller never sees the drop, so a 200 MiB file is not
/// fetched again from the start and nothing is buffered beyond one read. Sessions come from the source's pool and
/// go back to it after a complete read.
/// </summary>
internal sealed partial class ResumingDownloadStream : ReadOnlyStream
{
    private readonly RemoteSessionPool _pool;
    private readonly string _path;
    private readonly long _expectedLength;
    private readonly int _attempts;
    private readonly ILogger _logger;
    private IRemoteFolder? _session;
    private Stream? _stream;
    private long _position;
    private int _resumes;

    private ResumingDownloadStream(RemoteSessionPool pool, string path, long expectedLength, int attempts, ILogger logger)
    {
        _pool = pool;
        _path = path;
        _expectedLength = expectedLength;
        _attempts = attempts;
        _logger = logger;
    }

    public static async Task<Stream> OpenAsync(
        RemoteSessionPool pool, string path, long expectedLength, int attempts, ILogger logger, CancellationToken cancellationToken)
    {
        var stream = new ResumingDownloadStream(pool, path, expectedLength, attempts, logger);
        try
        {
            try
            {
                stream._session = await pool.RentAsync(cancellationToken);
                stream._stream = await stream._session.OpenReadAsync(path, 0, cancellationToken);
            }
            catch (Exception exception) when (IsDrop(exception) && !cancellationToken.IsCancellationRequested)
            {
                // A pooled session may have idled out on the server: once more on a new login.
                await stream.CloseAsync();
                await stream.OpenAtAsync(cancellationToken);
            }
            return stream;
        }
        catch
        {
            await stream.DisposeAsync();
            throw;
        }
    }

    /// <summary>How many times the download was resumed after a drop.</summary>
    public int Resumes => _resumes;

    public override long Length => _expectedLength;
    public override long Position { get => _position; set => throw new NotSupportedException(); }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        while (true)
        {
            Exception? failure;
            try
            {
                var read = await _stream!.ReadAsync(buffer, cancellationToken);
                if (read > 0 || _position >= _expectedLength || buffer.Length == 0)
                {
                    _position += read;
                    return read;
                }
                failure = new EndOfStreamException($"Data ended at {_position} of {_expectedLength} bytes.");
            }
            catch (Exception exception) when (IsDrop(exception) && !cancellationToken.IsCancellationRequested)
            {
                failure = exception;
            }
            if (_resumes >= _attempts)
            {
                throw new IOException($"Download of {_path} failed at byte {_position} after {_resumes} resumes.", failure);
            }
            _resumes++;
            LogResume(_logger, _path, _position, _resumes, failure.Message);
            await CloseAsync();
            await OpenAtAsync(cancellationToken);
        }
    }

    private async Task OpenAtAsync(CancellationToken cancellationToken)
    {
        _session = await _pool.ConnectFreshAsync(cancellationToken);
        _stream = await _session.OpenReadAsync(_path, _position, cancellationToken);
    }

    private async Task CloseAsync()
    {
        // Only a session whose transfer finished cleanly is worth keeping.
        var healthy = _position >= _expectedLength;
        try
        {
            if (_stream is not null)
            {
                await _stream.DisposeAsync();
            }
        }
        catch (Exception exception) when (IsDrop(exception))
        {
            healthy = false;
        }
        if (_session is not null)
        {
            if (healthy)
            {
                await _pool.ReturnAsync(_session);
            }
            else
            {
                await RemoteSessionPool.DiscardAsync(_session);
            }
        }
        _stream = null;
        _session = null;
    }

    private static bool IsDrop(Exception exception) =>
        exception is not Ftp.FtpCommandException { IsPermanent: true }
        && exception is IOException or SocketException or TimeoutException or ObjectDisposedException
            or Renci.SshNet.Common.SshException;

    public override async ValueTask DisposeAsync()
    {
        await CloseAsync();
        await base.DisposeAsync();
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing && _stream is not null)
        {
            // Synchronous callers get the transfer closed; the session logs out in the background.
            _stream.Dispose();
            _stream = null;
            var session = _session;
            _session = null;
            _ = session is null ? ValueTask.CompletedTask : RemoteSessionPool.DiscardAsync(session);
        }
        base.Dispose(disposing);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Download of {Path} dropped at byte {Position}; resuming (attempt {Attempt}): {Reason}")]
    private static partial void LogResume(ILogger logger, string path, long position, int attempt, string reason);
}
