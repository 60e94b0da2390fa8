using Xunit.Abstractions;
using Kmrl.Connectors.Sync;
using Kmrl.Connectors.Tests.Fakes;
using Kmrl.Contracts;

namespace Kmrl.Connectors.Tests;

/// <summary>Not run in parallel with other tests: it measures the process's allocations.</summary>
[CollectionDefinition(nameof(MemoryMeasurement), DisableParallelization = true)]
public sealed class MemoryMeasurement;

[Collection(nameof(MemoryMeasurement))]
public sealed class ClaimCheckPathTests(ITestOutputHelper output)
{
    private const long OneGiB = 1024L * 1024 * 1024;
    private const int OneMiB = 1024 * 1024;

    [Fact]
    public async Task A_1_GiB_document_streams_through_the_claim_check_in_1_MiB_chunks_with_flat_memory()
    {
        var clock = TimeProvider.System;
        var ports = new ConnectorPorts(clock, keepContent: false);
        var source = new TestSource("big", [new TestItem("huge", "huge.pdf", () => new GeneratedStream(OneGiB), "application/pdf")]);
        var settings = new Dictionary<string, string?>
        {
            ["ClaimCheck:ChunkSizeBytes"] = OneMiB.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Connector:Filters:MaxSizeBytes"] = (2 * OneGiB).ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        await using var host = TestHost.Create(ports, clock, settings, source);
        var runner = host.Runner;
        GC.Collect();
        var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);

        var result = await runner.RunAsync(source, CancellationToken.None);

        var allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
        output.WriteLine($"1 GiB document: {ports.Blobs.ChunkPuts} chunks, largest put {ports.Blobs.LargestPut} bytes, {ports.Blobs.BytesHeld} bytes held, {allocated} bytes allocated by the whole run");
        Assert.Equal(SyncOutcome.Completed, result.Outcome);
        Assert.Equal(1024, ports.Blobs.ChunkPuts);
        Assert.Equal(OneGiB, ports.Blobs.ChunkBytes);
        Assert.Equal(OneMiB, ports.Blobs.LargestPut);
        // Only the manifest stays held; chunks are counted and hashed, as a real store would be sent them.
        Assert.InRange(ports.Blobs.BytesHeld, 1, 4096);
        var discovered = Assert.Single(ports.Publisher.Of<DocumentDiscovered>());
        Assert.Equal(OneGiB, discovered.Size);
        Assert.Equal(1024, discovered.Blob.ChunkCount);
        Assert.Equal(ports.Blobs.ChunkSha256, discovered.Sha256);
        Assert.Equal(OneGiB, result.Counts.Bytes);
        // 1 GiB went through; the whole run allocated a small fraction of it.
        Assert.True(allocated < 64L * OneMiB, $"allocated {allocated} bytes for a 1 GiB document");
    }
}
