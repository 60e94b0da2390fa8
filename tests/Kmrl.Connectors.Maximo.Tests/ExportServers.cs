using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Kmrl.Connectors.Maximo.Export;
using Kmrl.Connectors.Maximo.RemoteFolders;
using Kmrl.Testing.Servers;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kmrl.Connectors.Maximo.Tests;

/// <summary>A real export server as the contract tests need it: seed files on disk, reach them over the wire.</summary>
public interface IExportServer
{
    /// <summary>Absolute server path of the folder that corresponds to the local root.</summary>
    string RemoteRoot { get; }

    string LocalRoot { get; }

    Task SeedAsync(string relativePath, byte[] content, DateTimeOffset? modified = null);

    /// <summary>Gives files created straight on disk (big or many) to the server's user.</summary>
    Task ChownAsync();

    RemoteServerOptions Server();

    IRemoteFolderConnector Connector(RemoteServerOptions server);
}

public sealed class FtpExportServer(PureFtpServer ftp, bool tls) : IExportServer
{
    public string RemoteRoot => "";

    public string LocalRoot => ftp.RootPath;

    public Task SeedAsync(string relativePath, byte[] content, DateTimeOffset? modified = null) => ftp.SeedFileAsync(relativePath, content, modified);

    public Task ChownAsync() => ftp.SeedFileAsync(".seeded", []);

    public RemoteServerOptions Server() => new()
    {
        Protocol = tls ? RemoteProtocol.Ftps : RemoteProtocol.Ftp,
        Host = ftp.Host,
        Port = ftp.Port,
        UserName = ftp.User,
        Secret = "ftp",
        PinnedCertificateSha256 = X509Certificate2.CreateFromPem(File.ReadAllText(ftp.CertificatePath)).GetCertHashString(HashAlgorithmName.SHA256),
        TlsTargetHost = "localhost",
        // TLS 1.2 so pure-ftpd's data connections resume the control session, as production against it would.
        TlsProtocols = tls ? System.Security.Authentication.SslProtocols.Tls12 : System.Security.Authentication.SslProtocols.None,
        // Generous: logins hash passwords and the test machine is shared.
        Timeout = TimeSpan.FromSeconds(30),
    };

    public IRemoteFolderConnector Connector(RemoteServerOptions server) =>
        new FtpRemoteFolderConnector(server, InMemorySecrets.One("ftp", "password", ftp.Password), NullLoggerFactory.Instance, TimeProvider.System);
}

public sealed class SftpExportServer(OpenSshSftpServer sshd) : IExportServer
{
    public string RemoteRoot => sshd.HomePath;

    public string LocalRoot => sshd.HomePath;

    public Task SeedAsync(string relativePath, byte[] content, DateTimeOffset? modified = null) => sshd.SeedFileAsync(relativePath, content, modified);

    public Task ChownAsync() => sshd.SeedFileAsync(".seeded", []);

    public RemoteServerOptions Server() => new()
    {
        Protocol = RemoteProtocol.Sftp,
        Host = sshd.Host,
        Port = sshd.Port,
        UserName = sshd.User,
        Secret = "sftp",
        HostKeySha256 = "SHA256:" + sshd.HostKeyFingerprintSha256,
        // Generous: logins hash passwords and the test machine is shared.
        Timeout = TimeSpan.FromSeconds(30),
    };

    public IRemoteFolderConnector Connector(RemoteServerOptions server) =>
        new SftpRemoteFolderConnector(server, InMemorySecrets.One("sftp", "private-key", File.ReadAllText(sshd.ClientPrivateKeyPath)));
}

internal static class ExportSources
{
    public static ExportFolderSource Create(IRemoteFolderConnector connector, ExportFolderOptions options) =>
        new(options, connector, NullLogger<ExportFolderSource>.Instance);
}
