using Kmrl.Connectors.Email.Options;
using MailKit;
using MailKit.Net.Imap;
using Microsoft.Extensions.Logging;

namespace Kmrl.Connectors.Email.Imap;

/// <summary>
/// The authenticated connection a folder source keeps between polls, with the folder selected. Connecting, logging
/// in and SELECT are nearly all of what a poll with no new mail costs (P3), so a poll reuses the connection after a
/// NOOP proves it alive (and lets the server report EXISTS/UIDVALIDITY changes), and connects afresh when it is not.
/// One command at a time: an IMAP connection is a single conversation. Every use names the UIDVALIDITY its UIDs were
/// read under, so a late download or move of one run never acts on a renumbered folder.
/// </summary>
internal sealed partial class ImapFolderConnection(
    ImapConnector connector, MailboxOptions mailbox, string folderName, FolderAccess access, ILogger logger) : IAsyncDisposable, IDisposable
{
    private static readonly TimeSpan NoopTimeout = TimeSpan.FromSeconds(15);

    private readonly SemaphoreSlim _gate = new(1, 1);
    private ImapClient? _client;
    private IMailFolder? _folder;

    /// <summary>Starts a poll: the kept connection if a NOOP still goes through, else a new one.</summary>
    public async Task<IMailFolder> OpenAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (IsOpen)
            {
                try
                {
                    // A connection a firewall dropped silently would hold the poll for the client's whole timeout.
                    using var probe = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                    probe.CancelAfter(NoopTimeout);
                    await _client!.NoOpAsync(probe.Token);
                    if (IsOpen)
                    {
                        return _folder!;
                    }
                }
                catch (Exception exception) when ((IsConnectionFailure(exception) || exception is OperationCanceledException)
                    && !cancellationToken.IsCancellationRequested)
                {
                    LogReconnecting(logger, mailbox.Name, folderName, exception.Message);
                }
            }
            return await ReconnectAsync(cancellationToken);
        }
        finally
        {
            _gate.Release();
        }
    }

    public async Task<T> RunAsync<T>(uint uidValidity, Func<ImapClient, IMailFolder, CancellationToken, Task<T>> operation, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            // Dropped between commands: reconnect; the UIDVALIDITY check keeps the UIDs honest.
            var folder = IsOpen ? _folder! : await ReconnectAsync(cancellationToken);
            EnsureSameUidValidity(folder, uidValidity);
            return await operation(_client!, folder, cancellationToken);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Synchronous use for <see cref="Stream.Read(byte[], int, int)"/>; needs the connection open.</summary>
    public T Run<T>(uint uidValidity, Func<IMailFolder, T> operation)
    {
        _gate.Wait();
        try
        {
            if (!IsOpen)
            {
                throw new NotSupportedException("Synchronous reads need the open connection; read the content with ReadAsync.");
            }
            EnsureSameUidValidity(_folder!, uidValidity);
            return operation(_folder!);
        }
        finally
        {
            _gate.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _gate.WaitAsync();
        try
        {
            await CloseAsync();
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>A container disposed synchronously: drop the socket without a LOGOUT.</summary>
    public void Dispose()
    {
        _client?.Dispose();
        (_client, _folder) = (null, null);
    }

    private bool IsOpen => _client is { IsConnected: true, IsAuthenticated: true } && _folder is { IsOpen: true };

    private void EnsureSameUidValidity(IMailFolder folder, uint uidValidity)
    {
        if (uidValidity != 0 && folder.UidValidity != uidValidity)
        {
            throw new ImapUidValidityChangedException(mailbox.Name, folderName, uidValidity, folder.UidValidity);
        }
    }

    private async Task<IMailFolder> ReconnectAsync(CancellationToken cancellationToken)
    {
        await CloseAsync();
        var client = await connector.ConnectAsync(mailbox, cancellationToken);
        try
        {
            var folder = await client.GetFolderAsync(folderName, cancellationToken);
            await folder.OpenAsync(access, cancellationToken);
            (_client, _folder) = (client, folder);
            return folder;
        }
        catch
        {
            client.Dispose();
            throw;
        }
    }

    private async Task CloseAsync()
    {
        if (_client is null)
        {
            return;
        }
        if (_client.IsConnected)
        {
            try
            {
                await _client.DisconnectAsync(true);
            }
            catch (Exception exception) when (IsConnectionFailure(exception) || exception is ImapCommandException)
            {
                // Logging out of a broken connection: nothing left to save.
            }
        }
        _client.Dispose();
        (_client, _folder) = (null, null);
    }

    private static bool IsConnectionFailure(Exception exception) => exception is
        IOException or System.Net.Sockets.SocketException or ImapProtocolException or ServiceNotConnectedException or TimeoutException;

    [LoggerMessage(Level = LogLevel.Information, Message = "IMAP {Mailbox}/{Folder}: the kept connection is gone ({Error}); connecting again")]
    private static partial void LogReconnecting(ILogger logger, string mailbox, string folder, string error);
}
