using Kmrl.Connectors.Email.Options;
using MailKit;
using MailKit.Net.Imap;

namespace Kmrl.Connectors.Email.Imap;

/// <summary>
/// The connection one sync run uses for one folder: listing, part downloads and post-processing all go through
/// <see cref="RunAsync{T}"/>, one command at a time (an IMAP connection is a single conversation). A drop is
/// healed by reconnecting. Work asked for after the run ended (a late download or after-commit move) gets its
/// own short-lived connection. Every use checks that UIDVALIDITY is still the one the UIDs were read under.
/// </summary>
internal sealed class ImapFolderSession(ImapConnector connector, MailboxOptions mailbox, string folderName, FolderAccess access)
    : IAsyncDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private ImapClient? _client;
    private IMailFolder? _folder;
    private bool _closed;

    public uint UidValidity { get; private set; }

    /// <summary>Connects, opens the folder and pins its UIDVALIDITY for the rest of the session.</summary>
    public async Task<IMailFolder> OpenAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            return await ImapErrors.TranslateAsync(OpenCoreAsync, cancellationToken);
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task<IMailFolder> OpenCoreAsync(CancellationToken cancellationToken)
    {
        (_client, _folder) = await ConnectAsync(cancellationToken);
        UidValidity = _folder.UidValidity;
        return _folder;
    }

    public async Task<T> RunAsync<T>(Func<ImapClient, IMailFolder, CancellationToken, Task<T>> operation, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            return await ImapErrors.TranslateAsync(token => RunCoreAsync(operation, token), cancellationToken);
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task<T> RunCoreAsync<T>(Func<ImapClient, IMailFolder, CancellationToken, Task<T>> operation, CancellationToken cancellationToken)
    {
        if (_closed)
        {
            var (client, folder) = await ConnectAsync(cancellationToken);
            using (client)
            {
                EnsureSameUidValidity(folder);
                var result = await operation(client, folder, cancellationToken);
                await client.DisconnectAsync(true, cancellationToken);
                return result;
            }
        }
        if (_client is null || _folder is null || !_client.IsConnected || !_client.IsAuthenticated || !_folder.IsOpen)
        {
            // The connection dropped between commands: reconnect; the UIDVALIDITY check below keeps UIDs honest.
            _client?.Dispose();
            (_client, _folder) = await ConnectAsync(cancellationToken);
        }
        EnsureSameUidValidity(_folder);
        return await operation(_client, _folder, cancellationToken);
    }

    /// <summary>Synchronous use for <see cref="Stream.Read(byte[], int, int)"/>; needs the live session connection.</summary>
    public T Run<T>(Func<IMailFolder, T> operation)
    {
        _gate.Wait();
        try
        {
            if (_closed || _folder is null || _client is not { IsConnected: true } || !_folder.IsOpen)
            {
                throw new NotSupportedException("Synchronous reads need the open sync session; read the content with ReadAsync.");
            }
            EnsureSameUidValidity(_folder);
            return operation(_folder);
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
            _closed = true;
            if (_client is not null)
            {
                if (_client.IsConnected)
                {
                    try
                    {
                        await _client.DisconnectAsync(true);
                    }
                    catch (Exception exception) when (exception is IOException or ImapProtocolException or ImapCommandException)
                    {
                        // Logging out of a broken connection: nothing left to save.
                    }
                }
                _client.Dispose();
                _client = null;
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    private void EnsureSameUidValidity(IMailFolder folder)
    {
        if (UidValidity != 0 && folder.UidValidity != UidValidity)
        {
            throw new ImapUidValidityChangedException(mailbox.Name, folderName, UidValidity, folder.UidValidity);
        }
    }

    private async Task<(ImapClient Client, IMailFolder Folder)> ConnectAsync(CancellationToken cancellationToken)
    {
        var client = await connector.ConnectAsync(mailbox, cancellationToken);
        try
        {
            var folder = await client.GetFolderAsync(folderName, cancellationToken);
            await folder.OpenAsync(access, cancellationToken);
            return (client, folder);
        }
        catch
        {
            client.Dispose();
            throw;
        }
    }
}

/// <summary>The folder's UIDs were renumbered while we held some: they no longer name the same messages.</summary>
public sealed class ImapUidValidityChangedException(string mailbox, string folder, uint expected, uint actual)
    : InvalidOperationException($"UIDVALIDITY of {mailbox}/{folder} changed from {expected} to {actual}; the next sync rescans the folder.");
