using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Kmrl.ClaimCheck;
using Kmrl.Contracts;
using Kmrl.Dapr.Testing;
using Kmrl.ServiceDefaults;
using Kmrl.Testing.Servers;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;

namespace Kmrl.Connectors.Maximo.Tests;

/// <summary>
/// maximo-connector's production Program.cs against real pure-ftpd and sshd and the Dapr test sidecar: an export
/// with its done marker lands in the folder, a cron tick arrives, DocumentDiscovered is on pub/sub with a readable blob.
/// </summary>
public sealed class EndToEndTests(PureFtpServer ftp, OpenSshSftpServer sshd, RedisServer redis)
    : IClassFixture<PureFtpServer>, IClassFixture<OpenSshSftpServer>, IClassFixture<RedisServer>
{
    private static readonly byte[] MifExport = Encoding.UTF8.GetBytes(
        "\"KMRL-MAXIMO\",\"MXWO_OUT\",\"Replace\",\"EN\"\n\"WONUM\",\"SITEID\",\"DESCRIPTION\"\n\"WO-2041\",\"MUTTOM\",\"Bogie inspection TS-07\"\n");

    [Fact]
    public async Task An_export_on_ftp_becomes_document_discovered_with_its_mif_header_and_a_readable_blob()
    {
        await ftp.SeedFileAsync("e2e/WO-2041.dat", MifExport);
        await ftp.SeedFileAsync("e2e/WO-2041.dat.done", []);

        var discovered = await RunAsync(secrets => secrets["maximo"] = new Dictionary<string, object> { ["ftp-password"] = ftp.Password }, new()
        {
            ["Protocol"] = "Ftp", ["Host"] = ftp.Host, ["Port"] = ftp.Port.ToString(), ["UserName"] = ftp.User,
            ["PasswordSecret"] = "maximo:ftp-password",
        }, "/e2e");

        Assert.Equal("WO-2041.dat", discovered.FileName);
        Assert.Equal(DocumentSources.MaximoExport, discovered.Source);
        Assert.Contains("KMRL-MAXIMO", discovered.SourceMetadata.Values);
    }

    [Fact]
    public async Task An_export_on_sftp_becomes_document_discovered_with_a_readable_blob()
    {
        await sshd.SeedFileAsync("e2e/WO-2041.dat", MifExport);
        await sshd.SeedFileAsync("e2e/WO-2041.dat.done", []);
        var key = await File.ReadAllTextAsync(sshd.ClientPrivateKeyPath);

        var discovered = await RunAsync(secrets => secrets["maximo"] = new Dictionary<string, object> { ["sftp-key"] = key }, new()
        {
            ["Protocol"] = "Sftp", ["Host"] = sshd.Host, ["Port"] = sshd.Port.ToString(), ["UserName"] = sshd.User,
            ["PrivateKeySecret"] = "maximo:sftp-key", ["HostKeySha256"] = sshd.HostKeyFingerprintSha256,
        }, Path.Combine(sshd.HomePath, "e2e"));

        Assert.Equal("WO-2041.dat", discovered.FileName);
    }

    private async Task<DocumentDiscovered> RunAsync(Action<Dictionary<string, object>> secrets, Dictionary<string, string> server, string folder)
    {
        await using var environment = await DaprTestEnvironment.StartAsync(redis, options => secrets(options.Secrets));
        var sidecar = await environment.StartSidecarAsync(DaprNames.AppIds.MaximoConnector);
        await using var app = new WebApplicationFactory<Program>().WithWebHostBuilder(web =>
        {
            foreach (var (key, value) in sidecar.AppConfiguration)
            {
                web.UseSetting(key, value);
            }
            web.UseSetting("Maximo:ExportFolders:0:Name", "exports");
            web.UseSetting("Maximo:ExportFolders:0:Folder", folder);
            web.UseSetting("Maximo:ExportFolders:0:DoneMarkerSuffix", ".done");
            foreach (var (key, value) in server)
            {
                web.UseSetting("Maximo:ExportFolders:0:Server:" + key, value);
            }
        });
        app.UseKestrel(0);
        app.StartServer();
        await sidecar.AttachAppAsync(app.ClientOptions.BaseAddress);

        Assert.Equal(HttpStatusCode.Accepted, await sidecar.FireCronAsync(DaprNames.Bindings.MaximoSchedule));
        var events = await environment.WaitForPublishedAsync(DaprNames.Topics.DocumentDiscovered, 1, TimeSpan.FromSeconds(60));
        var discovered = Assert.Single(events).GetProperty("data").Deserialize<DocumentDiscovered>(KmrlJson.Options)!;

        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(MifExport)), discovered.Sha256);
        using var client = sidecar.CreateClient();
        var options = Microsoft.Extensions.Options.Options.Create(new ClaimCheckOptions());
        var store = new ChunkedContentStore(new DaprBindingBlobStorage(client, options), options);
        await using var content = await store.OpenReadAsync(discovered.Blob, CancellationToken.None);
        var copy = new MemoryStream();
        await content.CopyToAsync(copy);
        Assert.Equal(MifExport, copy.ToArray());
        return discovered;
    }
}
