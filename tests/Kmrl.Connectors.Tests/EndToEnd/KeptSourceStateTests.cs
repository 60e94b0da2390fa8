using Kmrl.Connectors.Apis;
using Kmrl.Connectors.Hosting;
using Kmrl.Connectors.Observability;
using Kmrl.Connectors.Ports;
using Kmrl.Connectors.Sync;
using Kmrl.Connectors.Tests.Fakes;
using Kmrl.Contracts;
using Kmrl.Dapr.Testing;
using Kmrl.ServiceDefaults;
using Kmrl.Testing.Servers;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Kmrl.Connectors.Tests.EndToEnd;

/// <summary>
/// The lag the operations page shows (since the last successful run, since the last document) comes from the state
/// store, like the checkpoint: a replica that never ran the source, and a host just restarted, report what the replica
/// that ran it saw (the shared test sidecar, real Redis).
/// </summary>
public sealed class KeptSourceStateTests(RedisServer redis) : IClassFixture<RedisServer>
{
    [Fact]
    public async Task Every_replica_and_a_restarted_host_report_the_same_last_document_and_last_success_as_the_replica_that_ran()
    {
        await using var environment = await DaprTestEnvironment.StartAsync(redis);
        var sidecar = await environment.StartSidecarAsync(DaprNames.AppIds.EmailConnector);
        var source = TestSource.WithTextItems("inbox", 2);

        async Task<ServiceProvider> StartHostAsync()
        {
            var services = new ServiceCollection();
            services.AddLogging();
            services.AddConnectorHost(new ConfigurationBuilder().Build(), DocumentSources.Email, DaprNames.Bindings.EmailSchedule);
            services.AddSingleton(new global::Dapr.Client.DaprClientBuilder()
                .UseGrpcEndpoint(sidecar.GrpcEndpoint).UseHttpEndpoint(sidecar.HttpEndpoint)
                .UseJsonSerializationOptions(KmrlJson.Options).Build());
            services.AddSingleton<IDocumentSource>(source);
            var host = services.BuildServiceProvider();
            var kept = host.GetRequiredService<KeptSourceStates>();
            await kept.StartAsync(CancellationToken.None);
            await kept.Restored;
            return host;
        }

        static async Task<SourceStatusResponse> StatusAsync(ServiceProvider host) =>
            Assert.Single((await ConnectorHostApi.GetStatusAsync(
                host.GetRequiredService<SyncScheduler>(), host.GetRequiredService<ConnectorStatusRegistry>(),
                host.GetRequiredService<ICheckpointStore>(), host.GetRequiredService<KeptSourceStates>(),
                host.GetRequiredService<ConnectorSyncHealthCheck>(), host.GetRequiredService<IOptions<ConnectorHostOptions>>(),
                host.GetRequiredService<ILoggerFactory>(), CancellationToken.None)).Value!.Sources);

        await using var other = await StartHostAsync();
        DateTimeOffset? lastDocument, lastSuccess;
        await using (var ran = await StartHostAsync())
        {
            Assert.Equal(SyncOutcome.Completed, (await ran.GetRequiredService<SyncRunner>().RunAsync(source, CancellationToken.None)).Outcome);
            var seen = ran.GetRequiredService<ConnectorStatusRegistry>().Get("inbox");
            (lastDocument, lastSuccess) = (seen.LastDocumentAt, seen.LastSuccessAt);
            Assert.NotNull(lastDocument);
            Assert.NotNull(lastSuccess);
            // Written after the run, in the background; stopping the host waits for the queue.
            await ran.GetRequiredService<KeptSourceStates>().StopAsync(CancellationToken.None);
        }

        // The replica that never ran this source, asked by the operations page.
        var answer = await StatusAsync(other);
        Assert.Equal((lastDocument, lastSuccess), (answer.LastDocumentAt, answer.LastSuccessAt));
        Assert.Null(other.GetRequiredService<ConnectorStatusRegistry>().Get("inbox").LastDocumentAt);

        // A host started afterwards knows them before its first run (status page, gauges).
        await using var restarted = await StartHostAsync();
        var restored = restarted.GetRequiredService<ConnectorStatusRegistry>().Get("inbox");
        Assert.Equal((lastDocument, lastSuccess), (restored.LastDocumentAt, restored.LastSuccessAt));
        answer = await StatusAsync(restarted);
        Assert.Equal((lastDocument, lastSuccess), (answer.LastDocumentAt, answer.LastSuccessAt));
        await other.GetRequiredService<KeptSourceStates>().StopAsync(CancellationToken.None);
        await restarted.GetRequiredService<KeptSourceStates>().StopAsync(CancellationToken.None);
    }
}
