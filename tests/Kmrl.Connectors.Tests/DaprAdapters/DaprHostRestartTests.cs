using System.Text;
using System.Text.Json;
using Grpc.Core;
using Kmrl.ClaimCheck;
using Kmrl.Connectors.Dapr;
using Kmrl.Connectors.Sync;
using Kmrl.Connectors.Tests.Fakes;
using Kmrl.Contracts;
using Kmrl.ServiceDefaults;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Kmrl.Connectors.Tests.DaprAdapters;

/// <summary>
/// The whole host on its production Dapr adapters (state, pub/sub, blob binding, lock) against
/// <see cref="FakeDaprSidecar"/>: a crash between publishing and storing the checkpoint, a restart, and a consumer
/// that deduplicates by idempotency key.
/// </summary>
public sealed class DaprHostRestartTests : IAsyncLifetime
{
    private readonly FakeDaprSidecar _sidecar = new();

    public Task InitializeAsync() => _sidecar.StartAsync();

    public async Task DisposeAsync() => await _sidecar.DisposeAsync();

    private ServiceProvider BuildHost(IDocumentSource source)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Connector:MaxPublishAttempts"] = "1",
            // One topic for the whole run: this test is about checkpoints and redelivery, not the bulk lane.
            ["Connector:InteractiveDocumentsPerRun"] = "100000",
            ["Connector:RateLimit:TokenLimit"] = "1000",
            ["Connector:RateLimit:TokensPerPeriod"] = "1000",
            ["ClaimCheck:ChunkSizeBytes"] = "4096",
        }).Build();
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddConnectorHost(configuration, TestHost.Connector, TestHost.Schedule);
        services.AddSingleton(_sidecar.CreateClient());
        services.AddSingleton<IDocumentSource>(source);
        return services.BuildServiceProvider();
    }

    [Fact]
    public async Task After_a_crash_between_publish_and_checkpoint_a_restart_republishes_and_the_consumer_stores_each_item_once()
    {
        var contents = Enumerable.Range(1, 200).Select(i => $"document {i} " + new string((char)('a' + i % 26), 3000 + i * 37)).ToList();
        var source = new TestSource("inbox",
            [.. contents.Select((text, i) => new TestItem($"item-{i + 1:D3}", $"item-{i + 1:D3}.txt", () => new MemoryStream(Encoding.UTF8.GetBytes(text)), "text/plain"))],
            checkpointEvery: 20);
        var checkpointKey = StateKeys.Checkpoint(TestHost.Connector, "inbox");
        var crashed = false;
        _sidecar.BeforeSave = item =>
        {
            // The process dies when it stores the checkpoint after item 100: items 81-100 are already published.
            if (item.Key == checkpointKey && !crashed && item.Value.ToStringUtf8().Contains("\"value\":\"100\"", StringComparison.Ordinal))
            {
                crashed = true;
                throw new RpcException(new Status(StatusCode.Unavailable, "sidecar lost with the app"));
            }
        };

        await using (var first = BuildHost(source))
        {
            var result = await first.GetRequiredService<SyncRunner>().RunAsync(source, CancellationToken.None);
            Assert.Equal(SyncOutcome.Failed, result.Outcome);
        }
        Assert.True(crashed);
        Assert.Equal(100, _sidecar.Published.Count);

        await using (var restarted = BuildHost(source))
        {
            var result = await restarted.GetRequiredService<SyncRunner>().RunAsync(source, CancellationToken.None);
            Assert.Equal(SyncOutcome.Completed, result.Outcome);
            Assert.Equal(120, result.Counts.Discovered);
        }
        Assert.Equal([null, "80"], source.CheckpointsReadFrom);

        // The consumer: every delivery is read; the store keeps one document per idempotency key.
        var deliveries = _sidecar.Published
            .Where(p => p.Topic == DaprNames.Topics.DocumentDiscovered)
            .Select(p => JsonSerializer.Deserialize<DocumentDiscovered>(p.Data.Span, KmrlJson.Options)!)
            .ToList();
        var stored = new Dictionary<string, DocumentDiscovered>(StringComparer.Ordinal);
        foreach (var delivery in deliveries)
        {
            stored.TryAdd(delivery.IdempotencyKey, delivery);
        }
        Assert.Equal(220, deliveries.Count);
        Assert.Equal(200, stored.Count);
        Assert.Equal(Enumerable.Range(1, 200).Select(i => $"inbox/item-{i:D3}"), stored.Values.Select(d => d.SourceId).Order(StringComparer.Ordinal));
        var duplicated = deliveries.GroupBy(d => d.IdempotencyKey).Where(g => g.Count() > 1).Select(g => g.First().SourceId).Order(StringComparer.Ordinal);
        Assert.Equal(Enumerable.Range(81, 20).Select(i => $"inbox/item-{i:D3}"), duplicated);

        // Each stored document's content reads back from the blob binding through the claim check, intact.
        await using var reader = BuildHost(source);
        var contentStore = reader.GetRequiredService<IDocumentContentStore>();
        foreach (var (document, index) in stored.Values.OrderBy(d => d.SourceId, StringComparer.Ordinal).Select((d, i) => (d, i)))
        {
            await using var stream = await contentStore.OpenReadAsync(document.Blob, CancellationToken.None);
            using var text = new StreamReader(stream, Encoding.UTF8);
            Assert.Equal(contents[index], await text.ReadToEndAsync());
        }
        var checkpoint = await reader.GetRequiredService<Ports.ICheckpointStore>().LoadAsync(TestHost.Connector, "inbox", CancellationToken.None);
        Assert.Equal("200", checkpoint!.Checkpoint.Value);
    }
}
