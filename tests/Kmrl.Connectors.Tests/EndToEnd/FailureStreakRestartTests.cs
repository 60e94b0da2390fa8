using Kmrl.BuildingBlocks.State;
using Kmrl.Connectors.Observability;
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
/// The failed runs in a row survive a restart of the host (kept in the state store of the shared test sidecar, real
/// Redis): an outage that spans a restart still ends with ConnectorSyncRecovered, and counts every failed run.
/// </summary>
public sealed class FailureStreakRestartTests(RedisServer redis) : IClassFixture<RedisServer>
{
    [Fact]
    public async Task A_restart_in_the_middle_of_an_outage_still_announces_the_recovery_with_every_failed_run_counted()
    {
        await using var environment = await DaprTestEnvironment.StartAsync(redis);
        var sidecar = await environment.StartSidecarAsync(DaprNames.AppIds.EmailConnector);
        var source = TestSource.WithTextItems("inbox", 1);
        var failing = true;
        source.OnRead = _ =>
        {
            if (failing) throw new UnauthorizedAccessException("password expired");
        };

        async Task<ServiceProvider> StartHostAsync()
        {
            var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Connector:MaxReadAttempts"] = "1",
                ["Connector:RetryBaseDelay"] = "00:00:00.001",
            }).Build();
            var services = new ServiceCollection();
            services.AddLogging();
            services.AddConnectorHost(configuration, DocumentSources.Email, DaprNames.Bindings.EmailSchedule);
            services.AddSingleton(new global::Dapr.Client.DaprClientBuilder()
                .UseGrpcEndpoint(sidecar.GrpcEndpoint).UseHttpEndpoint(sidecar.HttpEndpoint)
                .UseJsonSerializationOptions(KmrlJson.Options).Build());
            services.AddSingleton<IDocumentSource>(source);
            var host = services.BuildServiceProvider();
            // The one hosted service this test needs, started as the host starts it: before the scheduler.
            var streaks = host.GetRequiredService<KeptSourceStates>();
            await streaks.StartAsync(CancellationToken.None);
            await streaks.Restored;
            return host;
        }

        async Task<SyncOutcome> RunAsync(ServiceProvider host) => (await host.GetRequiredService<SyncRunner>().RunAsync(source, CancellationToken.None)).Outcome;

        await using (var first = await StartHostAsync())
        {
            for (var run = 0; run < 4; run++)
            {
                Assert.Equal(SyncOutcome.Failed, await RunAsync(first));
            }
            await first.GetRequiredService<KeptSourceStates>().StopAsync(CancellationToken.None);
        }
        Assert.Equal([3], (await environment.WaitForEventsAsync<ConnectorSyncFailed>(DaprNames.Topics.ConnectorSyncFailed, 1)).Select(f => f.ConsecutiveFailures));

        await using var second = await StartHostAsync();
        // Counted on from four: the sixth failed run announces again, as it would without the restart.
        Assert.Equal(SyncOutcome.Failed, await RunAsync(second));
        Assert.Equal(SyncOutcome.Failed, await RunAsync(second));
        failing = false;
        Assert.Equal(SyncOutcome.Completed, await RunAsync(second));
        await second.GetRequiredService<KeptSourceStates>().StopAsync(CancellationToken.None);

        Assert.Equal([3, 6], (await environment.WaitForEventsAsync<ConnectorSyncFailed>(DaprNames.Topics.ConnectorSyncFailed, 2)).Select(f => f.ConsecutiveFailures));
        var recovered = Assert.Single(await environment.WaitForEventsAsync<ConnectorSyncRecovered>(DaprNames.Topics.ConnectorSyncRecovered, 1));
        Assert.Equal((DocumentSources.Email, "inbox", 6), (recovered.Connector, recovered.Source, recovered.FailedRuns));
        var key = second.GetRequiredService<KeptSourceStates>().Key("inbox");
        var kept = await second.GetRequiredService<IStateStore>().GetAsync<KeptSourceState>(key, CancellationToken.None);
        Assert.Equal(0, kept!.Value.ConsecutiveFailures);
    }
}
