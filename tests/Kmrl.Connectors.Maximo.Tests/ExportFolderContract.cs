using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using Kmrl.Connectors.Maximo.Export;
using Kmrl.Connectors.Maximo.RemoteFolders;
using Xunit.Abstractions;

namespace Kmrl.Connectors.Maximo.Tests;

/// <summary>The export-folder behaviour, proved the same way against pure-ftpd (FTP, FTPS) and OpenSSH (SFTP).</summary>
public abstract class ExportFolderContract(IExportServer server, ITestOutputHelper output)
{
    private static readonly DateTimeOffset Yesterday = DateTimeOffset.UtcNow.AddDays(-1).AddTicks(-(DateTimeOffset.UtcNow.Ticks % TimeSpan.TicksPerSecond));

    protected IExportServer ExportServer => server;

    protected ITestOutputHelper Output => output;

    [Fact]
    public async Task A_new_file_is_handed_on_at_the_second_poll_that_sees_it_unchanged_and_never_again()
    {
        var folder = await SeedFolderAsync("stable", ("WO-1001.pdf", "%PDF-1.4 work order"u8.ToArray()));
        var source = Source(folder);

        var first = await SourceContract.RunAsync(source, null, MaximoHost.Options());
        var second = await SourceContract.RunAsync(source, first.Checkpoint, MaximoHost.Options());
        var third = await SourceContract.RunAsync(source, second.Checkpoint, MaximoHost.Options());

        Assert.Empty(first.Documents);
        var document = Assert.Single(second.Documents);
        Assert.Equal("WO-1001.pdf", document.Document.FileName);
        Assert.Equal(RemotePath(folder, "WO-1001.pdf"), document.Document.SourceId);
        Assert.Equal(SourceContract.Sha256("%PDF-1.4 work order"u8.ToArray()), document.Sha256);
        Assert.Equal(19, document.Document.Size);
        Assert.Equal(RemotePath(folder, "WO-1001.pdf"), document.Document.Metadata[MaximoMetadata.ExportPath]);
        Assert.Empty(third.Documents);
    }

    [Fact]
    public async Task A_file_that_is_still_growing_waits_until_it_stops_changing()
    {
        var folder = await SeedFolderAsync("growing", ("JC-1.pdf", new byte[100]));
        var source = Source(folder);
        var first = await SourceContract.RunAsync(source, null, MaximoHost.Options());

        await server.SeedAsync($"{folder}/JC-1.pdf", new byte[5000], Yesterday.AddMinutes(1));
        var second = await SourceContract.RunAsync(source, first.Checkpoint, MaximoHost.Options());
        var third = await SourceContract.RunAsync(source, second.Checkpoint, MaximoHost.Options());

        Assert.Empty(second.Documents);
        Assert.Equal(5000, Assert.Single(third.Documents).Length);
    }

    [Fact]
    public async Task With_a_done_marker_a_file_is_taken_at_once_when_its_marker_exists_and_not_before()
    {
        var folder = await SeedFolderAsync("marker", ("a.pdf", [1, 2]), ("b.pdf", [3, 4, 5]), ("b.pdf.done", []));
        var source = Source(folder, o => o.DoneMarkerSuffix = ".done");

        var first = await SourceContract.RunAsync(source, null, MaximoHost.Options());
        await server.SeedAsync($"{folder}/a.pdf.done", []);
        var second = await SourceContract.RunAsync(source, first.Checkpoint, MaximoHost.Options());

        Assert.Equal(["b.pdf"], first.Documents.Select(d => d.Document.FileName));
        Assert.Equal(["a.pdf"], second.Documents.Select(d => d.Document.FileName));
    }

    [Fact]
    public async Task A_handed_file_is_moved_into_the_archive_folder_after_its_checkpoint_is_stored()
    {
        var folder = await SeedFolderAsync("archive", ("WO-7.pdf", [7, 7, 7]), ("WO-8.pdf", [8]));
        var source = Source(folder, o => o.ArchiveFolder = RemotePath(folder, "archive"));

        var first = await SourceContract.RunAsync(source, null, MaximoHost.Options());
        var second = await SourceContract.RunAsync(source, first.Checkpoint, MaximoHost.Options());
        var third = await SourceContract.RunAsync(source, second.Checkpoint, MaximoHost.Options());

        Assert.Equal(2, second.Documents.Count);
        Assert.True(File.Exists(Path.Combine(server.LocalRoot, folder, "archive", "WO-7.pdf")));
        Assert.True(File.Exists(Path.Combine(server.LocalRoot, folder, "archive", "WO-8.pdf")));
        Assert.False(File.Exists(Path.Combine(server.LocalRoot, folder, "WO-7.pdf")));
        Assert.Empty(third.Documents);
        // Archived files are gone from the folder, so the checkpoint forgets them.
        Assert.Empty(third.CheckpointAs<ExportFolderCheckpoint>()!.Handed);
    }

    [Fact]
    public async Task A_handed_file_whose_archive_move_was_cut_short_is_moved_at_the_next_poll_and_not_handed_again()
    {
        var folder = await SeedFolderAsync("cut-short", ("WO-9.pdf", [9, 9]));
        // Handed on and checkpointed without a move: what a crash between the commit and the move leaves behind.
        var withoutMove = Source(folder);
        var first = await SourceContract.RunAsync(withoutMove, null, MaximoHost.Options());
        var second = await SourceContract.RunAsync(withoutMove, first.Checkpoint, MaximoHost.Options());
        var source = Source(folder, o => o.ArchiveFolder = RemotePath(folder, "archive"));

        var third = await SourceContract.RunAsync(source, second.Checkpoint, MaximoHost.Options());
        var fourth = await SourceContract.RunAsync(source, third.Checkpoint, MaximoHost.Options());

        Assert.Single(second.Documents);
        Assert.Empty(third.Documents);
        Assert.True(File.Exists(Path.Combine(server.LocalRoot, folder, "archive", "WO-9.pdf")));
        Assert.False(File.Exists(Path.Combine(server.LocalRoot, folder, "WO-9.pdf")));
        Assert.Empty(fourth.Documents);
        Assert.Empty(fourth.CheckpointAs<ExportFolderCheckpoint>()!.Handed);
    }

    [Fact]
    public async Task Checkpoints_come_per_batch_each_naming_every_file_before_it_and_a_crash_re_reads_only_the_open_batch()
    {
        var files = Enumerable.Range(1, 5).Select(i => ($"WO-{i}.pdf", new[] { (byte)i })).ToArray();
        var folder = await SeedFolderAsync("batched", files);
        var source = Source(folder, o => o.CheckpointEveryFiles = 2);
        var pending = await SourceContract.RunAsync(source, null, MaximoHost.Options());

        var yielded = new List<string>();
        var checkpoints = new List<(int After, ExportFolderCheckpoint Value, string Raw)>();
        await foreach (var change in source.ReadChangesAsync(pending.Checkpoint, CancellationToken.None))
        {
            if (change is SourceDocument document)
            {
                yielded.Add(document.SourceId);
            }
            else if (change is SourceCheckpoint marker)
            {
                checkpoints.Add((yielded.Count, SourceContract.ReadCheckpoint<ExportFolderCheckpoint>(marker.Value)!, marker.Value));
            }
        }
        // A crash after the first batch was stored: the run from that checkpoint reads the rest, and only the rest.
        var resumed = await SourceContract.RunAsync(source, checkpoints[0].Raw, MaximoHost.Options());

        Assert.Equal(5, yielded.Count);
        Assert.Equal([2, 4, 5], checkpoints.Select(c => c.After));
        Assert.All(checkpoints, c => Assert.Equal(yielded.Take(c.After).Order(), c.Value.Handed.Keys.Order()));
        Assert.Equal(yielded.Skip(2), resumed.Documents.Select(d => d.Document.SourceId));
    }

    [Fact]
    public async Task A_batch_that_takes_longer_than_the_checkpoint_interval_is_checkpointed_early()
    {
        var folder = await SeedFolderAsync("slow-batch", ("a.pdf", [1]), ("b.pdf", [2]), ("c.pdf", [3]));
        // Every file takes longer than a tick: with the interval at one tick, each file closes its batch.
        var source = Source(folder, o => (o.CheckpointEveryFiles, o.CheckpointEveryInterval) = (100, TimeSpan.FromTicks(1)));
        var pending = await SourceContract.RunAsync(source, null, MaximoHost.Options());

        var documentsBeforeEachCheckpoint = new List<int>();
        var documents = 0;
        await foreach (var change in source.ReadChangesAsync(pending.Checkpoint, CancellationToken.None))
        {
            if (change is SourceDocument)
            {
                documents++;
            }
            else if (change is SourceCheckpoint)
            {
                documentsBeforeEachCheckpoint.Add(documents);
            }
        }

        Assert.Equal([1, 2, 3], documentsBeforeEachCheckpoint);
    }

    [Fact]
    public async Task Without_an_archive_a_handed_file_is_remembered_and_a_replaced_one_is_taken_again()
    {
        var folder = await SeedFolderAsync("remember", ("report.pdf", [1, 2, 3]));
        var source = Source(folder);
        var first = await SourceContract.RunAsync(source, null, MaximoHost.Options());
        var second = await SourceContract.RunAsync(source, first.Checkpoint, MaximoHost.Options());
        var third = await SourceContract.RunAsync(source, second.Checkpoint, MaximoHost.Options());

        await server.SeedAsync($"{folder}/report.pdf", [9, 9, 9, 9], Yesterday.AddHours(1));
        var fourth = await SourceContract.RunAsync(source, third.Checkpoint, MaximoHost.Options());
        var fifth = await SourceContract.RunAsync(source, fourth.Checkpoint, MaximoHost.Options());

        Assert.Single(second.Documents);
        Assert.Empty(third.Documents);
        Assert.Empty(fourth.Documents);
        Assert.Equal(4, Assert.Single(fifth.Documents).Length);
    }

    [Fact]
    public async Task A_mif_flat_file_carries_its_header_line_as_metadata()
    {
        var mif = Encoding.UTF8.GetBytes("\"EXTSYS1\",\"MXWOInterface\",\"AddChange\",\"EN\"\nWONUM,SITEID,DESCRIPTION\n\"1001\",\"MUTTOM\",\"Pump\"\n");
        var xml = Encoding.UTF8.GetBytes("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<PublishMXASSET xmlns=\"http://www.ibm.com/maximo\" baseLanguage=\"EN\" messageID=\"123\"><MXASSETSet/></PublishMXASSET>");
        var folder = await SeedFolderAsync("mif", ("wo_20261126.dat", mif), ("asset.xml", xml));
        var source = Source(folder, o => o.DoneMarkerSuffix = ".done");
        await server.SeedAsync($"{folder}/wo_20261126.dat.done", []);
        await server.SeedAsync($"{folder}/asset.xml.done", []);

        var run = await SourceContract.RunAsync(source, null, MaximoHost.Options());

        var flat = run.Documents.Single(d => d.Document.FileName == "wo_20261126.dat");
        Assert.Equal("EXTSYS1", flat.Document.Metadata[MaximoMetadata.MifExternalSystem]);
        Assert.Equal("MXWOInterface", flat.Document.Metadata[MaximoMetadata.MifInterface]);
        Assert.Equal("AddChange", flat.Document.Metadata[MaximoMetadata.MifAction]);
        Assert.Equal("EN", flat.Document.Metadata[MaximoMetadata.MifLanguage]);
        Assert.Equal(SourceContract.Sha256(mif), flat.Sha256);
        var asset = run.Documents.Single(d => d.Document.FileName == "asset.xml");
        Assert.Equal("Publish", asset.Document.Metadata[MaximoMetadata.MifAction]);
        Assert.Equal("MXASSET", asset.Document.Metadata[MaximoMetadata.MifInterface]);
        Assert.Equal(SourceContract.Sha256(xml), asset.Sha256);
    }

    [Fact]
    public async Task A_download_that_drops_mid_way_resumes_from_the_bytes_already_read()
    {
        var content = RandomNumberGenerator.GetBytes(3 * 1024 * 1024);
        var folder = await SeedFolderAsync("resume", ("big.pdf", content));
        var connector = new FaultInjectingConnector(server.Connector(server.Server()));
        var source = ExportSources.Create(connector, Options(folder, o => o.DoneMarkerSuffix = ".done"));
        await server.SeedAsync($"{folder}/big.pdf.done", []);
        connector.BreakNextDownloads(2, afterBytes: 1_000_000);

        var run = await SourceContract.RunAsync(source, null, MaximoHost.Options());

        var document = Assert.Single(run.Documents);
        Assert.Equal(SourceContract.Sha256(content), document.Sha256);
        // First open at 0, broken at 1 MB; the resume starts there (REST/seek) and breaks again 1 MB later.
        Assert.Equal([0L, 1_000_000L, 2_000_000L], connector.Opens.Where(o => o.Path.EndsWith("big.pdf", StringComparison.Ordinal)).Select(o => o.Offset));
    }

    [Fact]
    public async Task A_200_mib_file_streams_through_with_bounded_memory()
    {
        const long size = 200L * 1024 * 1024;
        var folder = await SeedFolderAsync("huge", ("huge.bin.done", []));
        // Sparse on disk: quick to create, still 200 MiB on the wire. A tail marker proves the end arrived.
        var path = Path.Combine(server.LocalRoot, folder, "huge.bin");
        await using (var file = new FileStream(path, FileMode.Create, FileAccess.Write))
        {
            file.SetLength(size - 16);
            file.Seek(0, SeekOrigin.End);
            await file.WriteAsync("END-OF-200-MiB!!"u8.ToArray());
        }
        await server.ChownAsync();
        var expected = await HashFileAsync(path);
        var source = Source(folder, o => o.DoneMarkerSuffix = ".done");

        GC.Collect();
        var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        var heapBefore = GC.GetTotalMemory(forceFullCollection: false);
        long peakHeap = heapBefore;
        using var sampler = new Timer(_ => peakHeap = Math.Max(peakHeap, GC.GetTotalMemory(false)), null, 0, 50);
        var clock = Stopwatch.StartNew();
        var run = await SourceContract.RunAsync(source, null, MaximoHost.Options(keepContent: false));
        clock.Stop();
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;

        var document = Assert.Single(run.Documents);
        Assert.Equal(size, document.Length);
        Assert.Equal(expected, document.Sha256);
        output.WriteLine($"{GetType().Name}: 200 MiB in {clock.Elapsed.TotalSeconds:F1} s, allocated {allocated / 1024.0 / 1024:F1} MiB in total, " +
            $"managed heap before {heapBefore / 1024.0 / 1024:F1} MiB, peak {peakHeap / 1024.0 / 1024:F1} MiB");
        // Buffering the file would need 200 MiB at once; streaming keeps the heap far below that.
        Assert.True(peakHeap - heapBefore < 64L * 1024 * 1024, $"heap grew by {(peakHeap - heapBefore) / 1024 / 1024} MiB");
    }

    /// <summary>
    /// Polls a folder of <paramref name="count"/> files twice (first seen, then all remembered as handed on) and
    /// proves nothing was downloaded. Run by the FTP and SFTP classes; FTPS lists over the same code path.
    /// </summary>
    protected async Task<string> PollingABigFolderDownloadsNothingAsync(int count)
    {
        var folder = await SeedManyAsync(count);
        var connector = new FaultInjectingConnector(server.Connector(server.Server()));
        var source = ExportSources.Create(connector, Options(folder));

        var clock = Stopwatch.StartNew();
        var first = await SourceContract.RunAsync(source, null, MaximoHost.Options());
        var firstTime = clock.Elapsed;
        // Everything already handed on: the checkpoint remembers all of them by path + size + mtime.
        var handed = first.CheckpointAs<ExportFolderCheckpoint>()!.Pending;
        var remembered = Checkpoints.Of(new ExportFolderCheckpoint(new Dictionary<string, FileStamp>(), handed)).Value;
        clock.Restart();
        var second = await SourceContract.RunAsync(source, remembered, MaximoHost.Options());
        var secondTime = clock.Elapsed;

        Assert.Empty(first.Documents);
        Assert.Equal(count, handed.Count);
        Assert.Empty(second.Documents);
        Assert.Equal(count, second.CheckpointAs<ExportFolderCheckpoint>()!.Handed.Count);
        Assert.Empty(connector.Opens);
        output.WriteLine($"{GetType().Name}: {count} files, first poll {firstTime.TotalMilliseconds:F0} ms, remembered poll {secondTime.TotalMilliseconds:F0} ms, " +
            $"checkpoint {first.Checkpoint!.Length / 1024} KiB");
        return folder;
    }

    protected async Task<string> SeedManyAsync(int count, string? existingFolder = null, int from = 0)
    {
        var folder = existingFolder ?? $"many-{Guid.NewGuid():N}";
        var local = Path.Combine(server.LocalRoot, folder);
        Directory.CreateDirectory(local);
        for (var i = from; i < from + count; i++)
        {
            var file = Path.Combine(local, $"WO-{i:D5}.pdf");
            await File.WriteAllBytesAsync(file, [(byte)i]);
            File.SetLastWriteTimeUtc(file, Yesterday.UtcDateTime);
        }
        await server.ChownAsync();
        return folder;
    }

    private async Task<string> SeedFolderAsync(string name, params (string File, byte[] Content)[] files)
    {
        var folder = $"{name}-{Guid.NewGuid():N}";
        foreach (var (file, content) in files)
        {
            await server.SeedAsync($"{folder}/{file}", content, Yesterday);
        }
        if (files.Length == 0)
        {
            Directory.CreateDirectory(Path.Combine(server.LocalRoot, folder));
        }
        return folder;
    }

    protected string RemotePath(string folder, string name) => $"{server.RemoteRoot}/{folder}/{name}";

    protected ExportFolderOptions Options(string folder, Action<ExportFolderOptions>? change = null)
    {
        var options = new ExportFolderOptions
        {
            Name = "maximo-export/" + folder,
            Server = server.Server(),
            Folder = $"{server.RemoteRoot}/{folder}",
        };
        change?.Invoke(options);
        return options;
    }

    protected ExportFolderSource Source(string folder, Action<ExportFolderOptions>? change = null)
    {
        var options = Options(folder, change);
        return ExportSources.Create(server.Connector(options.Server), options);
    }

    private static async Task<string> HashFileAsync(string path)
    {
        await using var file = File.OpenRead(path);
        return Convert.ToHexStringLower(await SHA256.HashDataAsync(file));
    }
}
