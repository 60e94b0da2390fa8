using System.Security.Cryptography;
using Kmrl.Connectors.SharePoint.Tests.Fakes;

namespace Kmrl.Connectors.SharePoint.Tests;

public sealed class ContentStreamingTests : IAsyncLifetime
{
    private FakeGraph _graph = null!;

    public async Task InitializeAsync() => _graph = await FakeGraph.StartAsync();

    public async Task DisposeAsync() => await _graph.DisposeAsync();

    [Fact]
    public async Task Content_is_a_stream_readable_before_the_download_host_has_sent_everything()
    {
        var folder = _graph.AddFolder("Drawings");
        var id = _graph.AddLargeFile("Depot master plan.dwg", folder, 24 * 1024 * 1024);
        var hold = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _graph.HoldDownloadsAfterFirstChunk = hold;
        using var harness = SharePointHost.Create(_graph, new Dictionary<string, string?>
        {
            ["SharePoint:Libraries:0:Site"] = FakeGraph.SiteUrl,
            ["SharePoint:Libraries:0:Library"] = "Documents",
        });
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));

        SourceDocument? document = null;
        await foreach (var change in harness.Source.ReadChangesAsync(null, timeout.Token))
        {
            document ??= change as SourceDocument;
        }
        Assert.NotNull(document);
        // If the SDK buffered the body, opening would wait for bytes the fake only sends after the release below.
        await using var stream = await document.OpenContentAsync(timeout.Token);
        var first = new byte[FakeGraph.FirstChunk];
        await stream.ReadExactlyAsync(first, timeout.Token);
        hold.SetResult();
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(first);
        var buffer = new byte[81920];
        int read;
        while ((read = await stream.ReadAsync(buffer, timeout.Token)) > 0)
        {
            hash.AppendData(buffer, 0, read);
        }

        Assert.Equal(SHA256.HashData(_graph.ContentOf(id)), hash.GetHashAndReset());
    }
}
