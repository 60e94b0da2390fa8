using System.Text;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kmrl.Connectors.LocalFolder.Tests;

/// <summary>The hot-folder source run by the real connector host (the kit's <see cref="SourceContract"/>), on real folders.</summary>
public sealed class HotFolderSourceTests : IDisposable
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 2, 9, 0, 0, TimeSpan.FromHours(5.5));
    private readonly string _root = Directory.CreateTempSubdirectory("kmrl-hot-folder-").FullName;
    private readonly ManualClock _clock = new(T0);

    private string Inbox => Path.Combine(_root, "inbox");

    private string Processed => Path.Combine(Inbox, "processed");

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private HotFolderSource Source(TimeSpan? settle = null) => new(
        new HotFolderOptions { Name = "scanner/depot", Path = Inbox, SettleTime = settle ?? TimeSpan.Zero },
        NullLogger<HotFolderSource>.Instance,
        _clock);

    private string Drop(string name, byte[] content)
    {
        Directory.CreateDirectory(Inbox);
        var path = Path.Combine(Inbox, name);
        File.WriteAllBytes(path, content);
        return path;
    }

    [Fact]
    public async Task A_settled_file_is_handed_on_once_and_moved_to_processed_after_its_checkpoint_is_stored()
    {
        var scan = Encoding.ASCII.GetBytes("%PDF-1.7 circular 42");
        Drop("circular-42.pdf", scan);
        var source = Source();

        var first = await SourceContract.RunAsync(source);
        var stillInInbox = File.Exists(Path.Combine(Inbox, "circular-42.pdf"));
        var second = await SourceContract.RunAsync(source, first.Checkpoint);
        var third = await SourceContract.RunAsync(source, second.Checkpoint);

        Assert.Empty(first.Documents);
        Assert.True(stillInInbox);
        var document = Assert.Single(second.Documents);
        Assert.Equal("circular-42.pdf", document.FileName);
        Assert.Equal(scan, document.Content);
        Assert.Equal(SourceContract.Sha256(scan), document.Sha256);
        Assert.Equal(scan.Length, document.Size);
        Assert.Equal("scanner/depot/circular-42.pdf", document.Event.SourceId);
        Assert.Equal(Inbox, document.Metadata[LocalFolderMetadata.Folder]);
        Assert.False(File.Exists(Path.Combine(Inbox, "circular-42.pdf")));
        Assert.Equal(scan, File.ReadAllBytes(Path.Combine(Processed, "circular-42.pdf")));
        Assert.Empty(third.Documents);
    }

    [Fact]
    public async Task A_file_that_is_still_being_written_waits_until_it_stops_changing()
    {
        var path = Drop("job-card.pdf", new byte[100]);
        var source = Source();
        var first = await SourceContract.RunAsync(source);

        await File.AppendAllTextAsync(path, new string('x', 4900));
        var second = await SourceContract.RunAsync(source, first.Checkpoint);
        var third = await SourceContract.RunAsync(source, second.Checkpoint);

        Assert.Empty(first.Documents);
        Assert.Empty(second.Documents);
        Assert.Equal(5000, Assert.Single(third.Documents).Length);
    }

    [Fact]
    public async Task A_file_is_handed_on_only_once_its_version_is_older_than_the_settle_time()
    {
        Drop("drawing.pdf", [1, 2, 3]);
        var source = Source(TimeSpan.FromSeconds(30));

        var seen = await SourceContract.RunAsync(source);
        _clock.Now = T0.AddSeconds(29);
        var early = await SourceContract.RunAsync(source, seen.Checkpoint);
        _clock.Now = T0.AddSeconds(30);
        var settled = await SourceContract.RunAsync(source, early.Checkpoint);

        Assert.Empty(seen.Documents);
        Assert.Empty(early.Documents);
        Assert.Equal("drawing.pdf", Assert.Single(settled.Documents).FileName);
        // A poll that found nothing new stores nothing.
        Assert.Equal(0, early.CheckpointsStored);
    }

    [Fact]
    public async Task The_host_filter_rejects_what_is_no_document_and_the_file_still_leaves_the_inbox_while_hidden_files_are_never_offered()
    {
        Drop("scan.pdf", [9, 9]);
        Drop("setup.exe", [4, 2]);
        Drop(".~lock.scan.pdf#", [1]);
        Drop("~$minutes.docx", [1]);
        var source = Source();

        var first = await SourceContract.RunAsync(source);
        var second = await SourceContract.RunAsync(source, first.Checkpoint);

        Assert.Equal(["scan.pdf"], second.Documents.Select(d => d.FileName));
        var rejected = Assert.Single(second.Rejected);
        Assert.Equal("setup.exe", rejected.FileName);
        Assert.Equal("Extension '.exe' is not allowed.", rejected.Reason);
        Assert.Equal(["scan.pdf", "setup.exe"], second.Offered.OfType<SourceDocument>().Select(d => d.FileName).Order());
        Assert.True(File.Exists(Path.Combine(Processed, "setup.exe")));
        Assert.True(File.Exists(Path.Combine(Inbox, ".~lock.scan.pdf#")));
        Assert.True(File.Exists(Path.Combine(Inbox, "~$minutes.docx")));
    }

    [Fact]
    public async Task A_handed_file_whose_move_did_not_happen_is_moved_at_the_next_poll_and_not_handed_again()
    {
        var path = Drop("invoice.pdf", [7, 7, 7]);
        var info = new FileInfo(path);
        // What a crash between the commit and the move leaves: the stored checkpoint names the file handed.
        var committed = Checkpoints.Of(new HotFolderCheckpoint(
            new Dictionary<string, FileVersion>(),
            new Dictionary<string, FileVersion> { ["invoice.pdf"] = new(info.Length, new DateTimeOffset(info.LastWriteTimeUtc, TimeSpan.Zero), T0) })).Value;

        var run = await SourceContract.RunAsync(Source(), committed);
        var after = await SourceContract.RunAsync(Source(), run.Checkpoint);

        Assert.Empty(run.Offered.OfType<SourceDocument>());
        Assert.True(File.Exists(Path.Combine(Processed, "invoice.pdf")));
        Assert.Empty(run.CheckpointAs<HotFolderCheckpoint>()!.Handed);
        Assert.Empty(after.Offered.OfType<SourceDocument>());
    }

    [Fact]
    public async Task A_name_the_processed_folder_already_holds_is_kept_beside_it()
    {
        Directory.CreateDirectory(Processed);
        await File.WriteAllBytesAsync(Path.Combine(Processed, "scan0001.pdf"), new byte[] { 1 });
        Drop("scan0001.pdf", [2, 2]);
        var source = Source();

        var first = await SourceContract.RunAsync(source);
        var second = await SourceContract.RunAsync(source, first.Checkpoint);

        Assert.Single(second.Documents);
        Assert.Equal(new byte[] { 1 }, File.ReadAllBytes(Path.Combine(Processed, "scan0001.pdf")));
        var kept = Assert.Single(Directory.GetFiles(Processed, "scan0001.*.pdf"));
        Assert.Equal(new byte[] { 2, 2 }, File.ReadAllBytes(kept));
    }

    [Fact]
    public async Task An_unreadable_checkpoint_is_logged_and_the_folder_is_watched_from_the_start()
    {
        Drop("notice.jpg", [0xFF, 0xD8, 0xFF]);
        var source = Source();

        var restart = await SourceContract.RunAsync(source, "{not json");
        var next = await SourceContract.RunAsync(source, restart.Checkpoint);

        Assert.True(restart.Completed);
        Assert.Empty(restart.Documents);
        Assert.Equal("notice.jpg", Assert.Single(next.Documents).FileName);
    }

    [Fact]
    public async Task A_missing_or_unmounted_folder_fails_the_run_instead_of_looking_empty()
    {
        var error = await Assert.ThrowsAsync<DirectoryNotFoundException>(() => SourceContract.RunAsync(Source()));

        Assert.Contains(Inbox, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_file_deleted_between_the_listing_and_the_read_is_dead_lettered_at_once()
    {
        var path = Drop("gone.pdf", [5]);
        var inner = Source();
        var first = await SourceContract.RunAsync(inner);
        var deleting = new DeleteBeforeOpen(inner, path);

        var run = await SourceContract.RunAsync(deleting, first.Checkpoint);

        Assert.True(run.Completed);
        Assert.Empty(run.Documents);
        var dead = Assert.Single(run.DeadLettered);
        Assert.Equal("gone.pdf", dead.SourceId);
        Assert.Equal(1, dead.Attempts);
    }

    /// <summary>A clock the test moves: the source measures the settle time on it.</summary>
    private sealed class ManualClock(DateTimeOffset start) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = start;

        public override DateTimeOffset GetUtcNow() => Now;
    }

    /// <summary>Deletes the file once the source has listed it, before the host opens it.</summary>
    private sealed class DeleteBeforeOpen(IDocumentSource inner, string path) : IDocumentSource
    {
        public string Name => inner.Name;

        public async IAsyncEnumerable<SourceChange> ReadChangesAsync(string? checkpoint,
            [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
        {
            await foreach (var change in inner.ReadChangesAsync(checkpoint, cancellationToken))
            {
                if (change is SourceDocument)
                {
                    File.Delete(path);
                }
                yield return change;
            }
        }
    }
}
