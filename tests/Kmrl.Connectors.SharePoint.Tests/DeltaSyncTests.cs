using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Kmrl.Connectors.SharePoint.Tests.Fakes;
using Keys = Kmrl.Connectors.SharePoint.SharePointDriveSource.MetadataKeys;

namespace Kmrl.Connectors.SharePoint.Tests;

/// <summary>The SharePoint source through the production GraphServiceClient against a local Graph fake.</summary>
public sealed class DeltaSyncTests : IAsyncLifetime
{
    private FakeGraph _graph = null!;
    private string _drawings = null!, _approved = null!, _circulars = null!;
    private readonly Dictionary<string, string> _files = [];

    public async Task InitializeAsync()
    {
        _graph = await FakeGraph.StartAsync();
        _drawings = _graph.AddFolder("Drawings");
        _approved = _graph.AddFolder("Approved", _drawings);
        _circulars = _graph.AddFolder("Circulars");
        _files["viaduct"] = _graph.AddFile("Viaduct P12.pdf", _approved, "%PDF viaduct pier 12 rev A", title: "Viaduct pier 12");
        _files["station"] = _graph.AddFile("Edapally station.pdf", _drawings, "%PDF station layout");
        _files["depot"] = _graph.AddFile("Muttom depot.pdf", _drawings, "%PDF depot drainage");
        _files["circular1"] = _graph.AddFile("Circular 12-2026.pdf", _circulars, "%PDF safety circular 12");
        _files["circular2"] = _graph.AddFile("Circular 13-2026.pdf", _circulars, "%PDF safety circular 13");
        _files["minutes"] = _graph.AddFile("Board minutes.docx", FakeGraph.RootId, "PK docx minutes");
        _graph.AddOneNotePackage("Engineering Notebook");
    }

    public async Task DisposeAsync() => await _graph.DisposeAsync();

    private ContractHost Harness(params (string Key, string Value)[] extra)
    {
        var settings = new Dictionary<string, string?>
        {
            ["SharePoint:Libraries:0:Site"] = FakeGraph.SiteUrl,
            ["SharePoint:Libraries:0:Library"] = "Documents",
        };
        foreach (var (key, value) in extra)
        {
            settings[key] = value;
        }
        return SharePointHost.Create(_graph, settings);
    }

    [Fact]
    public async Task The_first_sync_reads_every_file_over_three_pages_and_ends_on_the_delta_link()
    {
        using var harness = Harness();

        var run = await harness.RunFromAsync(null);

        // root + 3 folders + 6 files + 1 notebook = 11 items at 4 per page.
        Assert.Equal(3, _graph.GraphRequests.Count(r => r.Contains("/delta", StringComparison.Ordinal)));
        Assert.EndsWith("/items/root/delta()", _graph.GraphRequests.First(r => r.Contains("/delta", StringComparison.Ordinal)));
        Assert.Equal(_files.Values.Order(), run.Documents.Select(d => d.Document.SourceId).Order());
        Assert.All(run.Documents, d => Assert.Equal(_graph.ContentOf(d.Document.SourceId), d.Content));
        Assert.Empty(run.Tombstones);
        Assert.Equal(3, run.CheckpointsStored);
        var checkpoint = run.CheckpointAs<SharePointDriveSource.Checkpoint>()!;
        Assert.True(checkpoint.Complete);
        Assert.Contains("delta()?token=", checkpoint.Link);

        var viaduct = run.Documents.Single(d => d.Document.SourceId == _files["viaduct"]).Document;
        Assert.Equal("Viaduct P12.pdf", viaduct.FileName);
        Assert.Equal("application/pdf", viaduct.DeclaredContentType);
        Assert.Equal(_graph.ContentOf(_files["viaduct"]).Length, viaduct.Size);
        Assert.Equal("/Drawings/Approved/Viaduct P12.pdf", viaduct.Metadata[Keys.Path]);
        Assert.Equal(FakeGraph.SiteId, viaduct.Metadata[Keys.SiteId]);
        Assert.Equal(FakeGraph.SiteUrl, viaduct.Metadata[Keys.SiteUrl]);
        Assert.Equal("Documents", viaduct.Metadata[Keys.Library]);
        Assert.Equal(FakeGraph.DocumentsDriveId, viaduct.Metadata[Keys.DriveId]);
        Assert.Equal(_files["viaduct"], viaduct.Metadata[Keys.ItemId]);
        Assert.StartsWith(FakeGraph.SiteUrl + "/Shared%20Documents/Drawings/Approved/", viaduct.Metadata[Keys.WebUrl]);
        Assert.EndsWith(",1\"", viaduct.Metadata[Keys.ETag]);
        Assert.StartsWith("\"c:{", viaduct.Metadata[Keys.CTag]);
        Assert.Equal("Priya Nair", viaduct.Metadata[Keys.CreatedBy]);
        Assert.Equal("Joseph Mathew", viaduct.Metadata[Keys.ModifiedBy]);
        Assert.True(DateTimeOffset.TryParse(viaduct.Metadata[Keys.ModifiedAt], out _));
        Assert.Equal("Engineering Drawing", viaduct.Metadata[Keys.ContentType]);
        Assert.Equal("Viaduct pier 12", viaduct.Metadata[Keys.FieldPrefix + "Title"]);
        Assert.StartsWith("KMRL-DRG-", viaduct.Metadata[Keys.FieldPrefix + "DocumentNumber"]);
        Assert.Equal("1", viaduct.Metadata[Keys.FieldPrefix + "Revision"]);
        Assert.DoesNotContain(Keys.FieldPrefix + "_UIVersionString", viaduct.Metadata.Keys);
        Assert.DoesNotContain(Keys.FieldPrefix + "@odata.etag", viaduct.Metadata.Keys);
        // Site and library were resolved once, through the site path and /sites/{id}/drives.
        Assert.Single(_graph.GraphRequests, r => r.EndsWith("/drives", StringComparison.Ordinal));
        Assert.Single(_graph.GraphRequests, r => r.Contains("sites/kmrl.sharepoint.com:/sites/Engineering", StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_incremental_sync_sees_one_new_one_modified_one_deleted_and_one_moved_file()
    {
        using var harness = Harness();
        var first = await harness.RunFromAsync(null);

        var added = _graph.AddFile("Aluva bridge.pdf", _approved, "%PDF new bridge drawing");
        _graph.Modify(_files["station"], "%PDF station layout rev B");
        _graph.Delete(_files["circular1"]);
        _graph.Move(_files["depot"], _approved);
        var second = await harness.RunFromAsync(first.Checkpoint);
        var third = await harness.RunFromAsync(second.Checkpoint);

        Assert.Equal(new[] { added, _files["station"], _files["depot"] }.Order(), second.Documents.Select(d => d.Document.SourceId).Order());
        Assert.Equal(Encoding.UTF8.GetBytes("%PDF station layout rev B"), second.Documents.Single(d => d.Document.SourceId == _files["station"]).Content);
        var moved = second.Documents.Single(d => d.Document.SourceId == _files["depot"]).Document;
        Assert.Equal("/Drawings/Approved/Muttom depot.pdf", moved.Metadata[Keys.Path]);
        var tombstone = Assert.Single(second.Tombstones);
        Assert.Equal(_files["circular1"], tombstone.SourceId);
        Assert.Equal("deleted", tombstone.Reason);
        Assert.Empty(third.Documents);
        Assert.Empty(third.Tombstones);
        // A move keeps the id and the content: downstream sees the same idempotency key, not a new document.
        Assert.Equal(_files.Count + 2, harness.DiscoveredTimes.Count);
    }

    [Fact]
    public async Task The_bearer_token_never_reaches_the_download_host()
    {
        using var harness = Harness();

        var run = await harness.RunFromAsync(null);

        Assert.Equal(_files.Count, run.Documents.Count);
        Assert.Equal(_files.Count, _graph.DownloadAuthorizations.Count);
        Assert.All(_graph.DownloadAuthorizations, a => Assert.True(string.IsNullOrEmpty(a), $"download host saw Authorization: {a}"));
        Assert.All(_graph.GraphAuthorizations, a => Assert.Equal("Bearer " + FakeGraph.Token, a));
    }

    [Fact]
    public async Task A_429_storm_is_ridden_out_by_the_sdk_retry_handler()
    {
        using var harness = Harness();
        _graph.Throttle(4);
        var clock = Stopwatch.StartNew();

        var run = await harness.RunFromAsync(null);

        Assert.Equal(4, _graph.ThrottledResponses);
        Assert.Equal(_files.Count, run.Documents.Count);
        // Retry-After: 1 was honoured each time.
        Assert.True(clock.Elapsed >= TimeSpan.FromSeconds(3.5), $"took {clock.Elapsed}");
    }

    [Fact]
    public async Task A_410_resync_reads_everything_again_with_the_same_source_ids_and_no_new_keys_downstream()
    {
        using var harness = Harness();
        var first = await harness.RunFromAsync(null);
        var added = _graph.AddFile("Late addition.pdf", _drawings, "%PDF late");
        _graph.ExpireDeltaTokens();

        var resync = await harness.RunFromAsync(first.Checkpoint);
        var after = await harness.RunFromAsync(resync.Checkpoint);

        Assert.Equal(1, _graph.GoneResponses);
        Assert.Equal(_files.Values.Append(added).Order(), resync.Documents.Select(d => d.Document.SourceId).Order());
        // Every file of the first run came back under its old id with the same content: the same keys downstream.
        Assert.Equal(_files.Count + 1, harness.DiscoveredTimes.Count);
        Assert.Equal(_files.Count, harness.DiscoveredTimes.Values.Count(v => v == 2));
        Assert.Empty(after.Documents);
        Assert.Equal(1, _graph.GoneResponses);
    }

    [Fact]
    public async Task Starting_from_latest_imports_nothing_old_and_then_follows_new_changes()
    {
        using var harness = Harness(("SharePoint:InitialSync", "StartFromLatest"));

        var first = await harness.RunFromAsync(null);
        var added = _graph.AddFile("New circular.pdf", _circulars, "%PDF circular 14");
        var second = await harness.RunFromAsync(first.Checkpoint);

        Assert.Empty(first.Documents);
        Assert.Contains(_graph.GraphRequests, r => r.EndsWith("/items/root/delta(token='latest')", StringComparison.Ordinal));
        Assert.Equal(added, Assert.Single(second.Documents).Document.SourceId);
    }

    [Fact]
    public async Task Folder_filters_keep_other_folders_out_and_a_move_out_becomes_a_tombstone()
    {
        using var harness = Harness(("SharePoint:Libraries:0:FolderPaths:0", "/Drawings"));

        var first = await harness.RunFromAsync(null);
        _graph.Move(_files["station"], _circulars);
        var second = await harness.RunFromAsync(first.Checkpoint);

        Assert.Equal(new[] { _files["viaduct"], _files["station"], _files["depot"] }.Order(), first.Documents.Select(d => d.Document.SourceId).Order());
        Assert.Empty(second.Documents);
        var tombstone = Assert.Single(second.Tombstones);
        Assert.Equal(_files["station"], tombstone.SourceId);
        Assert.Equal("moved-outside-watched-folders", tombstone.Reason);
        Assert.Equal("/Circulars/Edapally station.pdf", tombstone.Metadata[Keys.Path]);
    }

    [Fact]
    public async Task A_library_named_by_drive_id_on_a_site_named_by_id_resolves_too()
    {
        using var harness = SharePointHost.Create(_graph, new Dictionary<string, string?>
        {
            ["SharePoint:Libraries:0:Site"] = FakeGraph.SiteId,
            ["SharePoint:Libraries:0:Library"] = FakeGraph.DocumentsDriveId,
            ["SharePoint:Libraries:0:Name"] = "engineering-documents",
            ["SharePoint:IncludeListItemFields"] = "false",
        });

        var run = await harness.RunFromAsync(null);

        Assert.Equal("engineering-documents", harness.Source.Name);
        Assert.Equal(_files.Count, run.Documents.Count);
        Assert.All(run.Documents, d => Assert.DoesNotContain(Keys.FieldPrefix + "Title", d.Document.Metadata.Keys));
        Assert.DoesNotContain(_graph.GraphRequests, r => r.Contains("expand", StringComparison.OrdinalIgnoreCase));
    }
}

public sealed class ThrottlingBeyondRetriesTests : IAsyncLifetime
{
    private FakeGraph _graph = null!;

    public async Task InitializeAsync() => _graph = await FakeGraph.StartAsync();

    public async Task DisposeAsync() => await _graph.DisposeAsync();

    [Fact]
    public async Task Throttling_that_outlasts_the_sdk_retries_reaches_the_host_as_throttled_with_retry_after()
    {
        _graph.AddFile("a.pdf", FakeGraph.RootId, "%PDF a");
        using var harness = SharePointHost.Create(_graph, new Dictionary<string, string?>
        {
            ["SharePoint:Libraries:0:Site"] = FakeGraph.SiteUrl,
            ["SharePoint:Libraries:0:Library"] = "Documents",
            ["SharePoint:MaxRetries"] = "1",
        }, host => host.MaxReadAttempts = 1); // the host would otherwise wait out Retry-After and list again
        _graph.Throttle(50);

        var exception = await Assert.ThrowsAsync<SourceThrottledException>(() => harness.RunFromAsync(null));

        Assert.Equal(TimeSpan.FromSeconds(1), exception.RetryAfter);
        Assert.Equal(2, _graph.ThrottledResponses);
    }
}
