using System.Text;
using Kmrl.Testing.Servers;
using Renci.SshNet;

namespace Kmrl.Testing.Tests;

public sealed class OpenSshSftpServerTests(OpenSshSftpServer sshd) : IClassFixture<OpenSshSftpServer>
{
    [Fact]
    public async Task A_key_authenticated_client_lists_a_seeded_file_and_sees_the_pinned_host_key()
    {
        await sshd.SeedFileAsync("exports/JC-77.pdf", Encoding.ASCII.GetBytes("%PDF-1.4 job card"));
        using var key = new PrivateKeyFile(sshd.ClientPrivateKeyPath);
        using var client = new SftpClient(sshd.Host, sshd.Port, sshd.User, key);
        string? seenFingerprint = null;
        client.HostKeyReceived += (_, e) =>
        {
            seenFingerprint = e.FingerPrintSHA256;
            e.CanTrust = e.FingerPrintSHA256 == sshd.HostKeyFingerprintSha256;
        };

        await client.ConnectAsync(CancellationToken.None);
        var names = new List<string>();
        await foreach (var entry in client.ListDirectoryAsync(Path.Combine(sshd.HomePath, "exports"), CancellationToken.None))
        {
            names.Add(entry.Name);
        }

        Assert.Equal(sshd.HostKeyFingerprintSha256, seenFingerprint);
        Assert.Contains("JC-77.pdf", names);
    }
}
