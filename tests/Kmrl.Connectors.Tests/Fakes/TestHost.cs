using Kmrl.BuildingBlocks.PubSub;
using Kmrl.ClaimCheck;
using Kmrl.Connectors.Ports;
using Kmrl.Connectors.Sync;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Kmrl.Connectors.Tests.Fakes;

/// <summary>
/// The host's services wired to in-memory ports. Fakes are shared objects, so building a second TestHost over the
/// same <see cref="Ports"/> is a restart: what was stored survives, what was in memory does not.
/// </summary>
internal sealed class TestHost : IAsyncDisposable
{
    public const string Connector = "test-connector";
    public const string Schedule = "test-schedule";

    public TestHost(TestPorts ports, TimeProvider timeProvider, IDictionary<string, string?>? settings = null, params IDocumentSource[] sources)
        : this(ports, timeProvider, settings, services =>
        {
            foreach (var source in sources)
            {
                services.AddSingleton<IDocumentSource>(source);
            }
        })
    {
    }

    /// <summary>A host whose sources <paramref name="register"/> adds (an inbox source, say).</summary>
    public TestHost(TestPorts ports, TimeProvider timeProvider, IDictionary<string, string?>? settings, Action<IServiceCollection> register)
    {
        Ports = ports;
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(DefaultSettings(settings)).Build();
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddConnectorHost(configuration, Connector, Schedule);
        services.AddSingleton(timeProvider);
        services.AddSingleton<ISyncLock>(ports.Lock);
        services.AddSingleton<ICheckpointStore>(ports.Checkpoints);
        services.AddSingleton<IEventPublisher>(ports.Publisher);
        services.AddSingleton<ISkippedItemStore>(ports.Skipped);
        services.AddSingleton<IDeadLetterLog>(ports.Skipped);
        services.AddSingleton<IInboxStore>(ports.Inbox);
        services.AddSingleton<IBlobStorage>(ports.Blobs);
        register(services);
        Services = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
    }

    public TestPorts Ports { get; }

    public ServiceProvider Services { get; }

    public SyncRunner Runner => Services.GetRequiredService<SyncRunner>();

    public T Get<T>() where T : notnull => Services.GetRequiredService<T>();

    public ValueTask DisposeAsync() => Services.DisposeAsync();

    private static Dictionary<string, string?> DefaultSettings(IDictionary<string, string?>? settings)
    {
        // Fast retries unless a test is about timing.
        var all = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase)
        {
            ["Connector:RetryBaseDelay"] = "00:00:00.001",
            ["Connector:RetryMaxDelay"] = "00:00:00.010",
            ["Connector:RateLimit:TokenLimit"] = "1000",
            ["Connector:RateLimit:TokensPerPeriod"] = "1000",
            ["ClaimCheck:ChunkSizeBytes"] = "4096",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            all[key] = value;
        }
        return all;
    }
}

internal sealed class TestPorts(TimeProvider timeProvider, bool keepBlobContent = true)
{
    public InMemorySyncLock Lock { get; } = new(timeProvider);
    public InMemoryCheckpointStore Checkpoints { get; } = new();
    public RecordingPublisher Publisher { get; } = new();
    public InMemorySkippedItemStore Skipped { get; } = new();
    public CountingBlobStorage Blobs { get; } = new(keepBlobContent);
    public Kmrl.Connectors.Testing.InMemoryInboxStore Inbox { get; } = new();
}

internal static class Eventually
{
    /// <summary>Polls in real time; the code under test runs on the thread pool after a fake clock advance.</summary>
    public static async Task TrueAsync(Func<bool> condition, string what, int timeoutMs = 10_000)
    {
        var deadline = Environment.TickCount64 + timeoutMs;
        while (!condition())
        {
            if (Environment.TickCount64 > deadline)
            {
                Assert.Fail("Timed out waiting until " + what);
            }
            await Task.Delay(5);
        }
    }

    /// <summary>Gives the code under test time to do something it must not do, then checks it did not.</summary>
    public static async Task StillTrueAsync(Func<bool> condition, string what, int forMs = 150)
    {
        var deadline = Environment.TickCount64 + forMs;
        while (Environment.TickCount64 < deadline)
        {
            Assert.True(condition(), what);
            await Task.Delay(5);
        }
        Assert.True(condition(), what);
    }
}
