namespace Kmrl.Connectors.Maximo.RemoteFolders;

/// <summary>
/// One connected session to a remote export folder (FTP, FTPS or SFTP). Paths are absolute on the server.
/// One operation or one open read stream at a time.
/// </summary>
public interface IRemoteFolder : IAsyncDisposable
{
    Task<IReadOnlyList<RemoteEntry>> ListAsync(string folder, CancellationToken cancellationToken);

    /// <summary>Opens <paramref name="path"/> for reading from <paramref name="offset"/>; the stream owns the transfer.</summary>
    Task<Stream> OpenReadAsync(string path, long offset, CancellationToken cancellationToken);

    /// <summary>Moves a file; fails if <paramref name="to"/> cannot be written.</summary>
    Task RenameAsync(string from, string to, CancellationToken cancellationToken);

    Task DeleteAsync(string path, CancellationToken cancellationToken);

    /// <summary>Creates <paramref name="folder"/> if it is missing.</summary>
    Task EnsureFolderAsync(string folder, CancellationToken cancellationToken);
}

/// <summary>Opens sessions to one configured server.</summary>
public interface IRemoteFolderConnector
{
    /// <summary>Protocol and server, for logs and document metadata (e.g. <c>sftp://host:22</c>).</summary>
    string Describe();

    Task<IRemoteFolder> ConnectAsync(CancellationToken cancellationToken);
}
