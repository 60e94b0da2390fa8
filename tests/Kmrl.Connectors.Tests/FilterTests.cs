using Kmrl.Connectors.Sync;
using Kmrl.Connectors.Tests.Fakes;
using Kmrl.Contracts;

namespace Kmrl.Connectors.Tests;

public sealed class FilterTests
{
    private static readonly TimeProvider Clock = TimeProvider.System;

    private static TestItem Item(string id, string fileName, string? contentType = null, long? size = null, int bytes = 10) =>
        new(id, fileName, () => new MemoryStream(new byte[bytes]), contentType, size);

    [Fact]
    public async Task Documents_outside_the_filters_are_recorded_with_their_reason_and_moved_past()
    {
        var ports = new ConnectorPorts(Clock);
        var source = new TestSource("inbox",
        [
            Item("ok", "report.PDF", "application/pdf"),
            Item("exe", "setup.exe", "application/octet-stream"),
            Item("type", "notes.txt", "application/x-msdownload"),
            Item("declared-big", "scan.tiff", "image/tiff", size: 5000),
            Item("streamed-big", "sheet.xlsx", null, size: null, bytes: 5000),
            Item("generic", "memo.docx", "application/octet-stream"),
            Item("dat", "WO123.dat"),
        ]);
        var settings = new Dictionary<string, string?> { ["Connector:Filters:MaxSizeBytes"] = "4096" };
        await using var host = TestHost.Create(ports, Clock, settings, source);

        var result = await host.Runner.RunAsync(source, CancellationToken.None);

        Assert.Equal(SyncOutcome.Completed, result.Outcome);
        Assert.Equal(["inbox/ok", "inbox/generic"], ports.Publisher.Of<DocumentDiscovered>().Select(e => e.SourceId));
        var reasons = ports.SkippedItems.Rejected.ToDictionary(r => r.SourceId, r => r.Reason);
        Assert.Equal(["exe", "type", "declared-big", "streamed-big", "dat"], reasons.Keys);
        Assert.Contains("'.exe' is not allowed", reasons["exe"]);
        Assert.Contains("'application/x-msdownload' is not allowed", reasons["type"]);
        Assert.Contains("above the limit of 4096", reasons["declared-big"]);
        Assert.Contains("above the limit of 4096", reasons["streamed-big"]);
        Assert.Equal(5, result.Counts.Rejected);
        Assert.Equal("7", ports.Checkpoints.ValueOf(TestHost.Connector, "inbox"));
        // A generic declared type is replaced by the one the extension names.
        Assert.Equal("application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            ports.Publisher.Of<DocumentDiscovered>()[1].ContentType);

        var again = await host.Runner.RunAsync(source, CancellationToken.None);
        Assert.Equal(0, again.Counts.Rejected);
        Assert.Equal(5, ports.SkippedItems.Rejected.Count);
    }

    [Fact]
    public async Task Maximo_exports_can_add_dat_and_xml_for_one_source()
    {
        var ports = new ConnectorPorts(Clock);
        var exports = new TestSource("export-folder", [Item("1", "WO123.dat"), Item("2", "assets.xml", "application/xml"), Item("3", "x.pdf")]);
        var api = new TestSource("api", [Item("4", "WO124.dat")]);
        var settings = new Dictionary<string, string?>
        {
            ["Connector:Sources:export-folder:EventSource"] = DocumentSources.MaximoExport,
            ["Connector:Sources:export-folder:Filters:AdditionalExtensions:0"] = ".dat",
            ["Connector:Sources:export-folder:Filters:AdditionalExtensions:1"] = "xml",
            ["Connector:Sources:export-folder:Filters:AdditionalContentTypes:0"] = "application/xml",
        };
        await using var host = TestHost.Create(ports, Clock, settings, exports, api);

        await host.Runner.RunAsync(exports, CancellationToken.None);
        await host.Runner.RunAsync(api, CancellationToken.None);

        var published = ports.Publisher.Of<DocumentDiscovered>();
        Assert.Equal(["export-folder/1", "export-folder/2", "export-folder/3"], published.Select(e => e.SourceId));
        Assert.All(published, e => Assert.Equal(DocumentSources.MaximoExport, e.Source));
        Assert.Equal("4", Assert.Single(ports.SkippedItems.Rejected).SourceId);
    }

    [Fact]
    public async Task Zero_byte_documents_are_recorded_as_rejected_not_published_whether_announced_or_found_on_reading()
    {
        var ports = new ConnectorPorts(Clock);
        var source = new TestSource("inbox",
        [
            Item("announced", "empty.pdf", "application/pdf", size: 0, bytes: 0),
            Item("found", "encoded.pdf", "application/pdf", size: null, bytes: 0),
            Item("ok", "report.pdf", "application/pdf"),
        ]);
        await using var host = TestHost.Create(ports, Clock, new Dictionary<string, string?>(), source);

        var result = await host.Runner.RunAsync(source, CancellationToken.None);

        Assert.Equal(["inbox/ok"], ports.Publisher.Of<DocumentDiscovered>().Select(e => e.SourceId));
        var reasons = ports.SkippedItems.Rejected.ToDictionary(r => r.SourceId, r => r.Reason);
        Assert.Equal(["announced", "found"], reasons.Keys);
        Assert.All(reasons.Values, reason => Assert.StartsWith("empty-file:", reason));
        Assert.Equal(2, result.Counts.Rejected);
    }

    [Theory]
    [InlineData("photo.jpeg", "image/jpeg")]
    [InlineData("fax.tif", "image/tiff")]
    [InlineData("notice.rtf", "application/rtf")]
    [InlineData("minutes.odt", "application/vnd.oasis.opendocument.text")]
    [InlineData("stock.ods", "application/vnd.oasis.opendocument.spreadsheet")]
    [InlineData("board.odp", "application/vnd.oasis.opendocument.presentation")]
    [InlineData("mail.msg", "application/vnd.ms-outlook")]
    [InlineData("old.doc", "application/msword")]
    [InlineData("old.xls", "application/vnd.ms-excel")]
    [InlineData("old.ppt", "application/vnd.ms-powerpoint")]
    [InlineData("fwd.eml", "message/rfc822")]
    public async Task The_default_filter_passes_every_format_the_pipeline_reads(string fileName, string contentType)
    {
        var ports = new ConnectorPorts(Clock);
        var source = new TestSource("inbox", [Item("1", fileName, contentType), Item("2", fileName, "application/octet-stream")]);
        await using var host = TestHost.Create(ports, Clock, new Dictionary<string, string?>(), source);

        await host.Runner.RunAsync(source, CancellationToken.None);

        Assert.Empty(ports.SkippedItems.Rejected);
        Assert.All(ports.Publisher.Of<DocumentDiscovered>(), e => Assert.Equal(contentType, e.ContentType));
    }
}
