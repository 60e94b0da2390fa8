using Kmrl.Connectors.Maximo.RemoteFolders;

namespace Kmrl.Connectors.Maximo.Export;

/// <summary>
/// Keeps a few logged-in sessions of one export server for reuse. Logins are not cheap (pure-ftpd checks an
/// argon2/scrypt hash, SSH does a key exchange), so a poll lists, peeks, downloads and archives on the same one or
/// two sessions instead of logging in per file. Each rented session is used by one caller at a time.
/// </summary>
internal sealed class RemoteSessionPool(IRemoteFolderConnector connector, int maxIdle = 2)
{
    private readonly Stack<IRemoteFolder> _idle = new();

    public IRemoteFolderConnector Connector => connector;

    public async Task<IRemoteFolder> RentAsync(CancellationToken cancellationToken)
    {
        lock (_idle)
        {
            if (_idle.TryPop(out var session))
            {
                return session;
            }
        }
        return await connector.ConnectAsync(cancellationToken);
    }

    /// <summary>Connects a new session, bypassing idle ones (after a rented one failed).</summary>
    public Task<IRemoteFolder> ConnectFreshAsync(CancellationToken cancellationToken) => connector.ConnectAsync(cancellationToken);

    /// <summary>Gives back a session whose last operation completed cleanly.</summary>
    public async ValueTask ReturnAsync(IRemoteFolder session)
    {
        lock (_idle)
        {
            if (_idle.Count < maxIdle)
            {
                _idle.Push(session);
                return;
            }
        }
        await DiscardAsync(session);
    }

    /// <summary>Closes a session that failed or is not needed; errors of an already broken connection are ignored.</summary>
    public static async ValueTask DiscardAsync(IRemoteFolder session)
    {
        try
        {
            await session.DisposeAsync();
        }
        catch (Exception exception) when (exception is IOException or System.Net.Sockets.SocketException or TimeoutException
            or ObjectDisposedException or OperationCanceledException or Renci.SshNet.Common.SshException)
        {
            // Nothing left to close politely.
        }
    }
}
