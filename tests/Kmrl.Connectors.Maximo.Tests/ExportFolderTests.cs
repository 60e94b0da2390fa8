using Kmrl.Connectors.Maximo.Export;
using Kmrl.Connectors.Maximo.Ftp;
using Kmrl.Testing.Servers;
using Xunit.Abstractions;

namespace Kmrl.Connectors.Maximo.Tests;

public sealed class FtpExportFolderTests(PureFtpServer ftp, ITestOutputHelper output)
    : ExportFolderContract(new FtpExportServer(ftp, tls: false), output), IClassFixture<PureFtpServer>
{
    protected override int ManyFiles => 9_990;

    [Fact]
    public async Task A_listing_the_server_truncates_fails_the_poll_instead_of_forgetting_or_fetching_files()
    {
        var folder = await SeedManyAsync(10_000);
        var connector = new FaultInjectingConnector(ExportServer.Connector(ExportServer.Server()));
        var source = ExportSources.Create(connector, Options(folder));
        var checkpoint = new ExportFolderCheckpoint(new Dictionary<string, FileStamp>(),
            new Dictionary<string, FileStamp> { [RemotePath(folder, "WO-09999.pdf")] = new(1, DateTimeOffset.UnixEpoch) }).Serialize();

        var error = await Assert.ThrowsAsync<FtpListingTruncatedException>(() => SourceRunner.RunAsync(source, checkpoint));

        Assert.True(error.Listed <= 10_000);
        Assert.Empty(connector.Opens);
    }
}

public sealed class FtpsExportFolderTests(PureFtpServer ftp, ITestOutputHelper output)
    : ExportFolderContract(new FtpExportServer(ftp, tls: true), output), IClassFixture<PureFtpServer>
{
    protected override int ManyFiles => 9_990;
}

public sealed class SftpExportFolderTests(OpenSshSftpServer sshd, ITestOutputHelper output)
    : ExportFolderContract(new SftpExportServer(sshd), output), IClassFixture<OpenSshSftpServer>;
