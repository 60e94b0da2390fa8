using System.Text;
using System.Text.Json;
using Kmrl.ClaimCheck;
using Kmrl.Connectors.Dapr;
using Kmrl.Connectors.Ports;
using Kmrl.Connectors.Sync;
using Kmrl.Connectors.Tests.Fakes;
using Kmrl.Contracts;
using Kmrl.Dapr.Testing;
using Kmrl.ServiceDefaults;
using Kmrl.Testing.Servers;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Kmrl.Connectors.Tests.EndToEnd;

/// <summary>
/// The host on its production Dapr adapters against the shared test sidecar (real Redis state, streams and locks,
/// the localstorage blob binding from components/): a crash between publishing and storing a checkpoint, a restart,
/// and a consumer that stores by idempotency key.
/// </summary>
public sealed class SidecarEndToEndTests(RedisServer redis) : IClassFixture<RedisServer>
{
    [Fact]
    public async Task Two_hundred_items_survive_a_crash_between_publish_and_checkpoint_and_the_consumer_stores_each_once()
    {
        await using var environment = await DaprTestEnvironment.StartAsync(redis);
        var sidecar = await environment.StartSidecarAsync(DaprNames.AppIds.EmailConnector);
        var contents = Enumerable.Range(1, 200).Select(i => $"document {i} " + new string((char)('a' + i % 26), 2000 + i * 41)).ToList();
        var source = new TestSource("inbox",
            [.. contents.Select((text, i) => new TestItem($"item-{i + 1:D3}", $"item-{i + 1:D3}.txt", () => new MemoryStream(Encoding.UTF8.GetBytes(text)), "text/plain"))],
            checkpointEvery: 20);
        var crash = new CrashOnce("100");

        ServiceProvider BuildHost()
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
            services.AddConnectorHost(configuration, DocumentSources.Email, DaprNames.Bindings.EmailSchedule);
            services.AddSingleton(new global::Dapr.Client.DaprClientBuilder()
                .UseGrpcEndpoint(sidecar.GrpcEndpoint).UseHttpEndpoint(sidecar.HttpEndpoint)
                .UseJsonSerializationOptions(KmrlJson.Options).Build());
            services.AddSingleton<ICheckpointStore>(provider => new CrashingCheckpointStore(
                new DaprCheckpointStore(provider.GetRequiredService<global::Dapr.Client.DaprClient>()), crash));
            services.AddSingleton<IDocumentSource>(source);
            return services.BuildServiceProvider();
        }

        await using (var first = BuildHost())
        {
            var crashed = await first.GetRequiredService<SyncRunner>().RunAsync(source, CancellationToken.None);
            Assert.Equal(SyncOutcome.Failed, crashed.Outcome);
        }
        Assert.True(crash.Happened);
        Assert.Equal(100, (await environment.PublishedAsync(DaprNames.Topics.DocumentDiscovered)).Count);

        await using var restarted = BuildHost();
        var rerun = await restarted.GetRequiredService<SyncRunner>().RunAsync(source, CancellationToken.None);
        Assert.Equal(SyncOutcome.Completed, rerun.Outcome);
        Assert.Equal([null, "80"], source.CheckpointsReadFrom);

        // The consumer reads every CloudEvent on the topic and stores a document once per idempotency key.
        var events = await environment.WaitForPublishedAsync(DaprNames.Topics.DocumentDiscovered, 220);
        var deliveries = events.Select(e => e.GetProperty("data").Deserialize<DocumentDiscovered>(KmrlJson.Options)!).ToList();
        var stored = new Dictionary<string, DocumentDiscovered>(StringComparer.Ordinal);
        var stores = deliveries.Count(d => stored.TryAdd(d.IdempotencyKey, d));
        Assert.Equal(220, deliveries.Count);
        Assert.Equal(200, stores);
        Assert.Equal(Enumerable.Range(1, 200).Select(i => $"inbox/item-{i:D3}"), stored.Values.Select(d => d.SourceId).Order(StringComparer.Ordinal));
        Assert.Equal(Enumerable.Range(81, 20).Select(i => $"inbox/item-{i:D3}"),
            deliveries.GroupBy(d => d.IdempotencyKey).Where(g => g.Count() > 1).Select(g => g.First().SourceId).Order(StringComparer.Ordinal));

        // Content reads back intact from the blob binding through the claim check.
        var contentStore = restarted.GetRequiredService<IDocumentContentStore>();
        foreach (var (document, index) in stored.Values.OrderBy(d => d.SourceId, StringComparer.Ordinal).Select((d, i) => (d, i)))
        {
            await using var stream = await contentStore.OpenReadAsync(document.Blob, CancellationToken.None);
            using var reader = new StreamReader(stream, Encoding.UTF8);
            Assert.Equal(contents[index], await reader.ReadToEndAsync());
        }
        var checkpoint = await restarted.GetRequiredService<ICheckpointStore>().LoadAsync(DocumentSources.Email, "inbox", CancellationToken.None);
        Assert.Equal("200", checkpoint!.Checkpoint.Value);
    }

    [Fact]
    public async Task Two_replicas_share_the_lock_store_so_a_source_syncs_on_one_at_a_time()
    {
        await using var environment = await DaprTestEnvironment.StartAsync(redis);
        var replicaA = await environment.StartSidecarAsync(DaprNames.AppIds.EmailConnector);
        var replicaB = await environment.StartSidecarAsync(DaprNames.AppIds.EmailConnector);
        using var clientA = replicaA.CreateClient();
        using var clientB = replicaB.CreateClient();
        var lockA = new DaprSyncLock(clientA, TimeProvider.System, Microsoft.Extensions.Logging.Abstractions.NullLogger<DaprSyncLock>.Instance);
        var lockB = new DaprSyncLock(clientB, TimeProvider.System, Microsoft.Extensions.Logging.Abstractions.NullLogger<DaprSyncLock>.Instance);
        var resource = StateKeys.SyncLock(DocumentSources.Email, "inbox");

        var leaseA = await lockA.TryAcquireAsync(resource, TimeSpan.FromMinutes(15), CancellationToken.None);
        Assert.NotNull(leaseA);
        Assert.Null(await lockB.TryAcquireAsync(resource, TimeSpan.FromMinutes(15), CancellationToken.None));
        await leaseA.DisposeAsync();
        var leaseB = await lockB.TryAcquireAsync(resource, TimeSpan.FromMinutes(15), CancellationToken.None);
        Assert.NotNull(leaseB);
        await leaseB.DisposeAsync();
    }

    private sealed class CrashOnce(string atValue)
    {
        public string AtValue { get; } = atValue;

        public bool Happened { get; set; }
    }

    /// <summary>The process "dies" just before storing one checkpoint: everything before it is already published.</summary>
    private sealed class CrashingCheckpointStore(ICheckpointStore inner, CrashOnce crash) : ICheckpointStore
    {
        public Task<StoredCheckpoint?> LoadAsync(string connector, string source, CancellationToken cancellationToken) =>
            inner.LoadAsync(connector, source, cancellationToken);

        public Task<string?> TrySaveAsync(string connector, string source, CheckpointRecord checkpoint, string? expectedETag, CancellationToken cancellationToken)
        {
            if (!crash.Happened && checkpoint.Value == crash.AtValue)
            {
                crash.Happened = true;
                throw new InvalidOperationException("simulated crash before the checkpoint save");
            }
            return inner.TrySaveAsync(connector, source, checkpoint, expectedETag, cancellationToken);
        }
    }
}
