using System.Diagnostics.Metrics;
using Kmrl.Connectors.Maximo.Export;
using Kmrl.Connectors.Maximo.Ftp;
using Kmrl.Testing.Servers;
using Xunit.Abstractions;

namespace Kmrl.Connectors.Maximo.Tests;

/// <summary>
/// Not run in parallel with other tests: the export folder contract measures the process's allocations and heap while
/// 200 MiB stream through, and another class running beside it (3.4 GiB allocated in one suite run) made it fail.
/// </summary>
[CollectionDefinition(nameof(MemoryMeasurement), DisableParallelization = true)]
public sealed class MemoryMeasurement;

[Collection(nameof(MemoryMeasurement))]
public sealed class FtpExportFolderTests(PureFtpServer ftp, ITestOutputHelper output)
    : ExportFolderContract(new FtpExportServer(ftp, tls: false), output), IClassFixture<PureFtpServer>
{
    [Fact]
    public async Task A_poll_over_9990_files_sends_no_retr_and_at_10000_the_truncated_listing_fails_the_poll()
    {
        // Count RETR commands on the wire for this server only (tests of other classes run in parallel).
        long retr = 0;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == FtpClient.MeterName)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            var command = tags.ToArray();
            if (command.Any(t => t.Key == "ftp.command" && (string?)t.Value == "RETR") && command.Any(t => t.Key == "server.port" && (int?)t.Value == ftp.Port))
            {
                Interlocked.Add(ref retr, value);
            }
        });
        listener.Start();

        // pure-ftpd lists at most 10,000 entries (its -L default; "." and ".." count), so just under the cap first.
        var folder = await PollingABigFolderDownloadsNothingAsync(9_990);
        Assert.Equal(0, Interlocked.Read(ref retr));

        await SeedManyAsync(10, folder, from: 9_990);
        var connector = new FaultInjectingConnector(ExportServer.Connector(ExportServer.Server()));
        var source = ExportSources.Create(connector, Options(folder));
        var checkpoint = Checkpoints.Of(new ExportFolderCheckpoint(new Dictionary<string, FileStamp>(),
            new Dictionary<string, FileStamp> { [RemotePath(folder, "WO-09999.pdf")] = new(1, DateTimeOffset.UnixEpoch) })).Value;

        // A short listing would look like deleted files; the poll fails instead of forgetting or fetching anything
        // (one listing attempt: the host's retries of this IOException would only list 10,000 entries again).
        var error = await Assert.ThrowsAsync<FtpListingTruncatedException>(() => SourceContract.RunAsync(source, checkpoint, MaximoHost.Options(host => host.MaxReadAttempts = 1)));

        Assert.True(error.Listed <= 10_000);
        Assert.Empty(connector.Opens);
        Assert.Equal(0, Interlocked.Read(ref retr));
    }
}

[Collection(nameof(MemoryMeasurement))]
public sealed class FtpsExportFolderTests(PureFtpServer ftp, ITestOutputHelper output)
    : ExportFolderContract(new FtpExportServer(ftp, tls: true), output), IClassFixture<PureFtpServer>;

[Collection(nameof(MemoryMeasurement))]
public sealed class SftpExportFolderTests(OpenSshSftpServer sshd, ITestOutputHelper output)
    : ExportFolderContract(new SftpExportServer(sshd), output), IClassFixture<OpenSshSftpServer>
{
    [Fact]
    public Task A_poll_over_10000_files_downloads_nothing() => PollingABigFolderDownloadsNothingAsync(10_000);
}
