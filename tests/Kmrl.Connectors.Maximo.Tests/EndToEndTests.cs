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

        var discovered = await RunAsync(secrets => secrets["maximo-export"] = new Dictionary<string, object> { ["password"] = ftp.Password }, new()
        {
            ["Protocol"] = "Ftp", ["AllowInsecureFtp"] = "true", ["Host"] = ftp.Host, ["Port"] = ftp.Port.ToString(), ["UserName"] = ftp.User,
            ["Secret"] = "maximo-export",
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

        var discovered = await RunAsync(secrets => secrets["maximo-export"] = new Dictionary<string, object> { ["private-key"] = key }, new()
        {
            ["Protocol"] = "Sftp", ["Host"] = sshd.Host, ["Port"] = sshd.Port.ToString(), ["UserName"] = sshd.User,
            ["Secret"] = "maximo-export", ["HostKeySha256"] = sshd.HostKeyFingerprintSha256,
        }, Path.Combine(sshd.HomePath, "e2e"));

        Assert.Equal("WO-2041.dat", discovered.FileName);
    }

    private async Task<DocumentDiscovered> RunAsync(Action<Dictionary<string, object>> secrets, Dictionary<string, string> server, string folder)
    {
        await using var environment = await DaprTestEnvironment.StartAsync(redis, options =>
        {
            secrets(options.Secrets);
            // A configured export folder's secret is added to maximo-connector's scope, as docs/operations.md has an operator do.
            options.AllowSecrets(DaprNames.AppIds.MaximoConnector, "maximo-export");
        });
        var sidecar = await environment.StartSidecarAsync(DaprNames.AppIds.MaximoConnector);
        var settings = server.ToDictionary(s => "Maximo:ExportFolders:0:Server:" + s.Key, s => s.Value);
        settings["Maximo:ExportFolders:0:Name"] = "exports";
        settings["Maximo:ExportFolders:0:Folder"] = folder;
        settings["Maximo:ExportFolders:0:DoneMarkerSuffix"] = ".done";
        await using var app = await sidecar.StartAppAsync<Program>(settings);

        Assert.Equal(HttpStatusCode.OK, await sidecar.FireCronAsync(DaprNames.Bindings.MaximoSchedule));
        var discovered = Assert.Single(await environment.WaitForEventsAsync<DocumentDiscovered>(DaprNames.Topics.DocumentDiscovered, 1));

        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(MifExport)), discovered.Sha256);
        Assert.Equal(MifExport, await sidecar.ReadBlobAsync(discovered.Blob));
        return discovered;
    }
}
