using System.Net;
using Kmrl.BuildingBlocks.Secrets;
using Kmrl.Connectors.Maximo.Ftp;
using Kmrl.Contracts;
using Microsoft.Extensions.Logging;

namespace Kmrl.Connectors.Maximo.RemoteFolders;

/// <summary>Adapter from <see cref="IRemoteFolder"/> to our <see cref="FtpClient"/> (the one class FluentFTP would replace).</summary>
public sealed class FtpRemoteFolderConnector(
    RemoteServerOptions server, ISecretProvider secrets, ILoggerFactory loggerFactory, TimeProvider timeProvider) : IRemoteFolderConnector
{
    public string Describe() => $"{(server.Protocol == RemoteProtocol.Ftps ? "ftps" : "ftp")}://{server.Host}:{Port}";

    private int Port => server.Port == 0 ? 21 : server.Port;

    public async Task<IRemoteFolder> ConnectAsync(CancellationToken cancellationToken)
    {
        var password = await secrets.GetSecretAsync(server.Secret, DaprNames.Secrets.RemoteServerKeys.Password, cancellationToken);
        var options = new FtpClientOptions
        {
            Host = server.Host,
            Port = Port,
            Encryption = server.Protocol == RemoteProtocol.Ftps ? FtpEncryption.Explicit : FtpEncryption.None,
            PinnedCertificateSha256 = server.PinnedCertificateSha256,
            TlsTargetHost = server.TlsTargetHost,
            SslProtocols = server.TlsProtocols,
            Timeout = server.Timeout,
        };
        var credential = new NetworkCredential(server.UserName, password);
        var logger = loggerFactory.CreateLogger<FtpClient>();
        var client = await FtpClient.ConnectAsync(options, credential, logger, timeProvider, cancellationToken);
        return new FtpRemoteFolder(client, () => FtpClient.ConnectAsync(options, credential, logger, timeProvider, cancellationToken));
    }
}

internal sealed class FtpRemoteFolder(FtpClient client, Func<Task<FtpClient>> reconnect) : IRemoteFolder
{
    private FtpClient _client = client;

    /// <summary>The live client, for tests that look at protocol details (TLS resumption).</summary>
    internal FtpClient Client => _client;

    public async Task<IReadOnlyList<RemoteEntry>> ListAsync(string folder, CancellationToken cancellationToken) =>
        await (await ReadyAsync()).ListAsync(folder, cancellationToken);

    public async Task<Stream> OpenReadAsync(string path, long offset, CancellationToken cancellationToken) =>
        await (await ReadyAsync()).OpenReadAsync(path, offset, cancellationToken);

    public async Task RenameAsync(string from, string to, CancellationToken cancellationToken) =>
        await (await ReadyAsync()).RenameAsync(from, to, cancellationToken);

    public async Task DeleteAsync(string path, CancellationToken cancellationToken) =>
        await (await ReadyAsync()).DeleteAsync(path, cancellationToken);

    public async Task EnsureFolderAsync(string folder, CancellationToken cancellationToken) =>
        // 550 "exists" is the common answer for an existing folder; a real failure shows up at the rename.
        await (await ReadyAsync()).CreateDirectoryAsync(folder, cancellationToken);

    private async Task<FtpClient> ReadyAsync()
    {
        if (!_client.IsUsable)
        {
            // An abandoned download (or a drop) leaves the control connection unusable: log in again.
            await _client.DisposeAsync();
            _client = await reconnect();
        }
        return _client;
    }

    public ValueTask DisposeAsync() => _client.DisposeAsync();
}
