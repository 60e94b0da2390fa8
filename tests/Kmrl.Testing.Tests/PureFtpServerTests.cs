using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.RegularExpressions;
using Kmrl.Testing.Servers;

namespace Kmrl.Testing.Tests;

public sealed partial class PureFtpServerTests(PureFtpServer ftp) : IClassFixture<PureFtpServer>
{
    [Fact]
    public async Task An_explicit_tls_session_lists_a_seeded_file_with_mlsd()
    {
        await ftp.SeedFileAsync("exports/WO-1001.pdf", Encoding.ASCII.GetBytes("%PDF-1.4 fixture"));
        var certificate = X509Certificate2.CreateFromPem(await File.ReadAllTextAsync(ftp.CertificatePath));

        var listing = await ListOverExplicitTlsAsync("/exports", certificate);

        Assert.Contains("type=file;size=16;", listing);
        Assert.Contains("WO-1001.pdf", listing);
    }

    // A deliberately tiny FTPS exchange: the fixture is proved with the protocol itself, not with the
    // project's FTP client, so a client bug cannot hide a fixture bug.
    private async Task<string> ListOverExplicitTlsAsync(string path, X509Certificate2 trusted)
    {
        using var control = new TcpClient();
        await control.ConnectAsync(ftp.Host, ftp.Port);
        var plain = control.GetStream();
        var reader = new StreamReader(plain, Encoding.ASCII);
        await ExpectAsync(reader, "220");
        await SendAsync(plain, "AUTH TLS");
        await ExpectAsync(reader, "234");

        var tls = new SslStream(plain, false, (_, certificate, _, _) =>
            certificate is not null && certificate.GetCertHashString() == trusted.GetCertHashString());
        await tls.AuthenticateAsClientAsync("localhost");
        reader = new StreamReader(tls, Encoding.ASCII);
        await SendAsync(tls, "USER " + ftp.User);
        await ExpectAsync(reader, "331");
        await SendAsync(tls, "PASS " + ftp.Password);
        await ExpectAsync(reader, "230");
        await SendAsync(tls, "PBSZ 0");
        await ExpectAsync(reader, "200");
        await SendAsync(tls, "PROT P");
        await ExpectAsync(reader, "200");
        await SendAsync(tls, "EPSV");
        var epsv = await ExpectAsync(reader, "229");
        var dataPort = int.Parse(EpsvPort().Match(epsv).Groups[1].Value);

        using var data = new TcpClient();
        await data.ConnectAsync(ftp.Host, dataPort);
        await SendAsync(tls, "MLSD " + path);
        await ExpectAsync(reader, "150");
        await using var dataTls = new SslStream(data.GetStream(), false, (_, _, _, _) => true);
        await dataTls.AuthenticateAsClientAsync("localhost");
        var listing = await new StreamReader(dataTls, Encoding.UTF8).ReadToEndAsync();
        // pure-ftpd waits for the client's TLS close_notify before it confirms the transfer.
        await dataTls.ShutdownAsync();
        await ExpectAsync(reader, "226");
        await SendAsync(tls, "QUIT");
        return listing;
    }

    private static async Task SendAsync(Stream stream, string command)
    {
        await stream.WriteAsync(Encoding.ASCII.GetBytes(command + "\r\n"));
        await stream.FlushAsync();
    }

    private static async Task<string> ExpectAsync(StreamReader reader, string code)
    {
        while (true)
        {
            var line = await reader.ReadLineAsync() ?? throw new IOException("FTP server closed the connection.");
            // Multi-line replies end with "code " (space); "code-" lines continue.
            if (line.Length >= 4 && line[3] == '-')
            {
                continue;
            }
            Assert.True(line.StartsWith(code + " ", StringComparison.Ordinal), $"Expected {code}, got: {line}");
            return line;
        }
    }

    [GeneratedRegex(@"\(\|\|\|(\d+)\|\)")]
    private static partial Regex EpsvPort();
}
