using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Kmrl.Connectors.Maximo.Ftp;
using Kmrl.Testing.Servers;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kmrl.Connectors.Maximo.Tests;

public sealed class FtpClientTests(PureFtpServer ftp) : IClassFixture<PureFtpServer>
{
    private static readonly DateTimeOffset Modified = new(2026, 11, 20, 8, 30, 15, TimeSpan.Zero);

    [Theory]
    [InlineData(FtpEncryption.None, true)]
    [InlineData(FtpEncryption.Explicit, true)]
    [InlineData(FtpEncryption.None, false)]
    [InlineData(FtpEncryption.Explicit, false)]
    public async Task A_listing_reports_name_size_time_and_kind_over_mlsd_and_list(FtpEncryption encryption, bool useMlsd)
    {
        var folder = $"/list-{encryption}-{useMlsd}";
        await ftp.SeedFileAsync(folder[1..] + "/WO-1001.pdf", Encoding.ASCII.GetBytes("%PDF-1.4 fixture"), Modified);
        await ftp.SeedFileAsync(folder[1..] + "/sub/inner.txt", [1]);
        await using var client = await ConnectAsync(Options(encryption, o => o.UseMlsd = useMlsd));

        var entries = await client.ListAsync(folder, CancellationToken.None);

        var file = Assert.Single(entries, e => e.IsFile);
        Assert.Equal("WO-1001.pdf", file.Name);
        Assert.Equal(folder + "/WO-1001.pdf", file.Path);
        Assert.Equal(16, file.Size);
        // MLSD carries seconds; unix LIST only minutes (and no year for recent files).
        Assert.Equal(useMlsd ? Modified : Modified.AddSeconds(-Modified.Second), file.Modified);
        Assert.Contains(entries, e => !e.IsFile && e.Name == "sub");
    }

    [Fact]
    public async Task Retr_streams_the_content_and_rest_starts_at_an_offset()
    {
        var content = RandomNumberGenerator.GetBytes(300_000);
        await ftp.SeedFileAsync("retr/blob.bin", content);
        await using var client = await ConnectAsync(Options(FtpEncryption.Explicit));

        Assert.Equal(content, await ReadAllAsync(await client.OpenReadAsync("/retr/blob.bin", 0, CancellationToken.None)));
        Assert.Equal(content[123_456..], await ReadAllAsync(await client.OpenReadAsync("/retr/blob.bin", 123_456, CancellationToken.None)));
        Assert.Equal(300_000, await client.GetSizeAsync("/retr/blob.bin", CancellationToken.None));
        Assert.True(client.IsUsable);
    }

    [Fact]
    public async Task Size_and_mdtm_report_the_file_as_seeded()
    {
        await ftp.SeedFileAsync("meta/a.csv", new byte[42], Modified);
        await using var client = await ConnectAsync(Options(FtpEncryption.None));

        Assert.Equal(42, await client.GetSizeAsync("/meta/a.csv", CancellationToken.None));
        Assert.Equal(Modified, await client.GetModifiedAsync("/meta/a.csv", CancellationToken.None));
    }

    [Fact]
    public async Task Rename_moves_a_file_into_another_folder_and_delete_removes_it()
    {
        await ftp.SeedFileAsync("mv/in/a.dat", [1, 2, 3]);
        await using var client = await ConnectAsync(Options(FtpEncryption.Explicit));

        await client.CreateDirectoryAsync("/mv/archive", CancellationToken.None);
        await client.RenameAsync("/mv/in/a.dat", "/mv/archive/a.dat", CancellationToken.None);

        Assert.False(File.Exists(Path.Combine(ftp.RootPath, "mv/in/a.dat")));
        Assert.True(File.Exists(Path.Combine(ftp.RootPath, "mv/archive/a.dat")));
        await client.DeleteAsync("/mv/archive/a.dat", CancellationToken.None);
        Assert.False(File.Exists(Path.Combine(ftp.RootPath, "mv/archive/a.dat")));
    }

    [Fact]
    public async Task A_missing_file_fails_with_550_and_the_connection_stays_usable()
    {
        await using var client = await ConnectAsync(Options(FtpEncryption.Explicit));

        var error = await Assert.ThrowsAsync<FtpCommandException>(() => client.OpenReadAsync("/nope.pdf", 0, CancellationToken.None));

        Assert.Equal(550, error.Reply.Code);
        Assert.True(error.IsPermanent);
        Assert.True(client.IsUsable);
        Assert.NotNull(await client.ListAsync("/", CancellationToken.None));
    }

    [Fact]
    public async Task Pasv_is_used_when_epsv_is_turned_off()
    {
        await ftp.SeedFileAsync("pasv/x.txt", Encoding.ASCII.GetBytes("passive"));
        await using var client = await ConnectAsync(Options(FtpEncryption.Explicit, o => o.UseEpsv = false));

        Assert.Equal("passive"u8.ToArray(), await ReadAllAsync(await client.OpenReadAsync("/pasv/x.txt", 0, CancellationToken.None)));
    }

    [Fact]
    public async Task A_certificate_that_does_not_match_the_pin_is_refused()
    {
        var options = Options(FtpEncryption.Explicit);
        options.PinnedCertificateSha256 = new string('A', 64);

        await Assert.ThrowsAnyAsync<System.Security.Authentication.AuthenticationException>(() => ConnectAsync(options));
    }

    [Fact]
    public async Task Without_a_pin_a_self_signed_certificate_fails_ca_validation()
    {
        var options = Options(FtpEncryption.Explicit);
        options.PinnedCertificateSha256 = null;

        await Assert.ThrowsAnyAsync<System.Security.Authentication.AuthenticationException>(() => ConnectAsync(options));
    }

    [Fact]
    public async Task A_wrong_password_is_refused_with_530()
    {
        var error = await Assert.ThrowsAsync<FtpCommandException>(() => FtpClient.ConnectAsync(Options(FtpEncryption.Explicit),
            new NetworkCredential(ftp.User, "wrong"), NullLogger.Instance, TimeProvider.System, CancellationToken.None));

        Assert.Equal(530, error.Reply.Code);
    }

    [Theory]
    // .NET keys its client session cache on the target host name: an IP address as target host gets no resumption.
    // The name is only the TLS target (the certificate is pinned, the connection goes to 127.0.0.1); it is unique so
    // that FTPS tests running in parallel against other servers cannot replace the cached session under this one.
    [InlineData("tls-resumption.kmrl.test", true)]
    [InlineData("127.0.0.1", false)]
    public async Task Over_tls_1_2_the_data_connection_resumes_the_control_tls_session_when_the_target_is_a_host_name(string targetHost, bool resumed)
    {
        await ftp.SeedFileAsync("tls/a.txt", [1]);
        // pure-ftpd 1.0.50 sends no TLS 1.3 session tickets (openssl s_client -sess_out saves nothing), so only
        // TLS 1.2 can resume against it; .NET's client session cache on Linux does the rest by itself.
        await using var client = await ConnectAsync(Options(FtpEncryption.Explicit, o =>
        {
            o.TlsTargetHost = targetHost;
            o.SslProtocols = System.Security.Authentication.SslProtocols.Tls12;
        }));

        await client.ListAsync("/tls", CancellationToken.None);

        // A full handshake carries the server certificate (~1.2 KB for this RSA-2048 one); a resumed one does not.
        var certificateLength = X509Certificate2.CreateFromPem(await File.ReadAllTextAsync(ftp.CertificatePath)).RawData.Length;
        Assert.True(client.ControlTlsHandshakeBytes > certificateLength, $"control handshake {client.ControlTlsHandshakeBytes} B");
        Assert.True(client.LastDataTlsHandshakeBytes < certificateLength == resumed,
            $"data handshake {client.LastDataTlsHandshakeBytes} B, control {client.ControlTlsHandshakeBytes} B, certificate {certificateLength} B");
    }

    [Fact]
    public async Task A_stalled_server_hits_the_timeout()
    {
        // A listener that accepts and never greets stands in for a hung server.
        using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var options = Options(FtpEncryption.None);
        options.Port = ((IPEndPoint)listener.LocalEndpoint).Port;
        options.Timeout = TimeSpan.FromSeconds(1);

        await Assert.ThrowsAsync<TimeoutException>(() => ConnectAsync(options));
    }

    private FtpClientOptions Options(FtpEncryption encryption, Action<FtpClientOptions>? change = null)
    {
        var options = new FtpClientOptions
        {
            Host = ftp.Host,
            Port = ftp.Port,
            Encryption = encryption,
            PinnedCertificateSha256 = X509Certificate2.CreateFromPem(File.ReadAllText(ftp.CertificatePath)).GetCertHashString(HashAlgorithmName.SHA256),
            // Generous: pure-ftpd hashes passwords (and delays failed logins) on a shared machine.
            Timeout = TimeSpan.FromSeconds(30),
        };
        change?.Invoke(options);
        return options;
    }

    private Task<FtpClient> ConnectAsync(FtpClientOptions options) =>
        FtpClient.ConnectAsync(options, new NetworkCredential(ftp.User, ftp.Password), NullLogger.Instance, TimeProvider.System, CancellationToken.None);

    private static async Task<byte[]> ReadAllAsync(Stream stream)
    {
        await using (stream)
        {
            using var copy = new MemoryStream();
            await stream.CopyToAsync(copy);
            return copy.ToArray();
        }
    }
}

