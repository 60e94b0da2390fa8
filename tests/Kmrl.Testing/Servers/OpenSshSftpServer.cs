using Xunit;

namespace Kmrl.Testing.Servers;

/// <summary>
/// A real OpenSSH sshd on a loopback port serving internal-sftp to one local user with key authentication.
/// The host key is throwaway; <see cref="HostKeyFingerprintSha256"/> is what a client pins.
/// </summary>
public sealed class OpenSshSftpServer : IAsyncLifetime
{
    private readonly TempDirectory _directory = new("sshd");
    private ServerProcess? _process;

    public string Host => "127.0.0.1";

    public int Port { get; private set; }

    /// <summary>The local account sshd serves; created once per machine, never locked.</summary>
    public string User => "kmrlsftp";

    /// <summary>The user's home, and the SFTP starting directory.</summary>
    public string HomePath => _directory.Combine("home");

    /// <summary>OpenSSH-format ed25519 private key the client logs in with.</summary>
    public string ClientPrivateKeyPath => _directory.Combine("client_key");

    /// <summary>SHA-256 fingerprint of the host key, base64 without padding, as <c>ssh-keygen -l</c> prints it.</summary>
    public string HostKeyFingerprintSha256 { get; private set; } = string.Empty;

    public async Task InitializeAsync()
    {
        Port = FreePort.Next();
        Directory.CreateDirectory(HomePath);
        Directory.CreateDirectory("/run/sshd");
        var hostKey = _directory.Combine("host_key");
        await Shell.RunAsync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", hostKey], "openssh-client");
        await Shell.RunAsync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", ClientPrivateKeyPath], "openssh-client");
        var fingerprint = await Shell.RunAsync("ssh-keygen", ["-l", "-E", "sha256", "-f", hostKey + ".pub"], "openssh-client");
        // "256 SHA256:abc... comment (ED25519)"
        HostKeyFingerprintSha256 = fingerprint.Split(' ')[1]["SHA256:".Length..];

        await EnsureUserAsync();
        var authorizedKeys = _directory.Combine("auth_keys");
        File.Copy(ClientPrivateKeyPath + ".pub", authorizedKeys);
        await Shell.RunAsync("chown", ["-R", $"{User}:", HomePath, authorizedKeys], "coreutils");

        var config = _directory.Combine("sshd_config");
        await File.WriteAllTextAsync(config, $"""
            ListenAddress 127.0.0.1
            Port {Port}
            HostKey {hostKey}
            PidFile {_directory.Combine("sshd.pid")}
            AuthorizedKeysFile {authorizedKeys}
            PasswordAuthentication no
            KbdInteractiveAuthentication no
            UsePAM no
            StrictModes no
            Subsystem sftp internal-sftp
            AllowUsers {User}
            """);
        var sshd = ServerProcess.FindBinary("sshd", "openssh-server");
        _process = ServerProcess.Start(sshd, ["-D", "-f", config, "-E", _directory.Combine("sshd.log")], "openssh-server");
        await _process.WaitForPortAsync(Port);
    }

    /// <summary>Writes a file under the user's home, owned by the user, with an optional modification time.</summary>
    public async Task<string> SeedFileAsync(string relativePath, byte[] content, DateTimeOffset? modified = null)
    {
        var path = Path.Combine(HomePath, relativePath);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        await File.WriteAllBytesAsync(path, content);
        if (modified is { } time)
        {
            File.SetLastWriteTimeUtc(path, time.UtcDateTime);
        }
        await Shell.RunAsync("chown", ["-R", $"{User}:", HomePath], "coreutils");
        return path;
    }

    public async Task StopAsync()
    {
        if (_process is not null)
        {
            await _process.DisposeAsync();
            _process = null;
        }
    }

    public async Task DisposeAsync()
    {
        await StopAsync();
        _directory.Dispose();
    }

    private async Task EnsureUserAsync()
    {
        var passwd = await File.ReadAllTextAsync("/etc/passwd");
        if (!passwd.Split('\n').Any(line => line.StartsWith(User + ":", StringComparison.Ordinal)))
        {
            await Shell.RunAsync("useradd", ["-M", "-d", "/nonexistent", "-s", "/bin/sh", User], "passwd");
        }
        // A locked account ("!" password) is refused even with a valid key.
        await Shell.RunAsync("usermod", ["-p", "*", User], "passwd");
    }
}
