using Xunit;

namespace Kmrl.Testing.Servers;

/// <summary>
/// A real pure-ftpd with one virtual user, passive ports on loopback, MLSD, and explicit TLS allowed
/// (<c>AUTH TLS</c>) with a throwaway self-signed certificate. Files are seeded straight into <see cref="RootPath"/>.
/// </summary>
public sealed class PureFtpServer : IAsyncLifetime
{
    private TempDirectory? _folder;

    // Made on first use, after the init-only properties are set.
    private TempDirectory Folder => _folder ??= DataDirectory is null ? new TempDirectory("pureftpd") : TempDirectory.Kept(DataDirectory);

    /// <summary>
    /// Where the server keeps its configuration and data; unset (tests) a temp folder removed at dispose. Set, the
    /// folder stays, and a new server on it finds what the last one held (the local demo's <c>.data/demo</c>).
    /// </summary>
    public string? DataDirectory { get; init; }
    private ServerProcess? _process;
    private string[] _arguments = [];

    public string Host => "127.0.0.1";

    public int Port { get; private set; }

    public int Pid => _process?.Pid ?? throw new InvalidOperationException("The server is not started.");

    public string User => "bob";

    public string Password => "secret";

    /// <summary>The user's FTP root on disk; seed files here with <see cref="SeedFileAsync"/>.</summary>
    public string RootPath => Folder.Combine("ftp");

    /// <summary>PEM of the server certificate, for pinning in the client.</summary>
    public string CertificatePath => Folder.Combine("cert.pem");

    /// <summary>When true (the default), TLS is allowed; set <see cref="RequireTls"/> to refuse plain logins.</summary>
    public bool RequireTls { get; init; }

    public async Task InitializeAsync()
    {
        Port = FreePort.Next();
        var (passiveFirst, passiveLast) = FreePort.Range(20);
        Directory.CreateDirectory(RootPath);

        var passwd = Folder.Combine("passwd");
        // A kept folder has the user from the last start; pure-pw refuses to add it twice.
        File.Delete(passwd);
        await Shell.RunAsync("pure-pw", ["useradd", User, "-u", "nobody", "-g", "nogroup", "-d", RootPath, "-f", passwd],
            "pure-ftpd", standardInput: $"{Password}\n{Password}\n");
        await Shell.RunAsync("pure-pw", ["mkdb", Folder.Combine("pureftpd.pdb"), "-f", passwd], "pure-ftpd");

        var key = Folder.Combine("key.pem");
        await Shell.RunAsync("openssl",
            ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=localhost", "-keyout", key, "-out", CertificatePath],
            "openssl");
        var combined = Folder.Combine("pure-ftpd.pem");
        await File.WriteAllTextAsync(combined, await File.ReadAllTextAsync(CertificatePath) + await File.ReadAllTextAsync(key));
        await Shell.RunAsync("chown", ["-R", "nobody:nogroup", RootPath], "coreutils");

        _arguments =
        [
            "-S", $"{Host},{Port}", "-p", $"{passiveFirst}:{passiveLast}", "-P", Host,
            "-l", $"puredb:{Folder.Combine("pureftpd.pdb")}", "-E", "-A", "-H", "-u", "1",
            "-Y", RequireTls ? "2" : "1", "-2", combined,
        ];
        _process = ServerProcess.Start("pure-ftpd", _arguments, "pure-ftpd");
        await _process.WaitForPortAsync(Port);
    }

    /// <summary>Writes a file under the FTP root (owned by the FTP user) and sets its modification time.</summary>
    public async Task<string> SeedFileAsync(string relativePath, byte[] content, DateTimeOffset? modified = null)
    {
        var path = Path.Combine(RootPath, relativePath);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        await File.WriteAllBytesAsync(path, content);
        if (modified is { } time)
        {
            File.SetLastWriteTimeUtc(path, time.UtcDateTime);
        }
        await Shell.RunAsync("chown", ["-R", "nobody:nogroup", RootPath], "coreutils");
        return path;
    }

    /// <summary>Stops the server (outage tests); <see cref="RestartAsync"/> brings it back with the same files and port.</summary>
    public async Task StopAsync()
    {
        if (_process is not null)
        {
            await _process.DisposeAsync();
            _process = null;
        }
    }

    public async Task RestartAsync()
    {
        await StopAsync();
        _process = ServerProcess.Start("pure-ftpd", _arguments, "pure-ftpd");
        await _process.WaitForPortAsync(Port);
    }

    public async Task DisposeAsync()
    {
        await StopAsync();
        _folder?.Dispose();
    }
}
