using Kmrl.Connectors.Sync;
using Kmrl.Connectors.Testing;
using Kmrl.Contracts;
using Microsoft.Extensions.DependencyInjection;

namespace Kmrl.Connectors.Tests.Fakes;

/// <summary>
/// The kit's <see cref="ContractHost"/> as these tests set it up: connector <see cref="Connector"/>, a clock of the
/// test's, fast retries and 4 KiB claim-check chunks unless a test's settings say otherwise, and failures as outcomes
/// (a test asserts on the runner's result). Ports are shared objects, so a second host over the same
/// <see cref="ConnectorPorts"/> is a restart: what was stored survives, what was in memory does not.
/// </summary>
internal static class TestHost
{
    public const string Connector = "test-connector";
    public const string Schedule = "test-schedule";

    public static ContractHost Create(ConnectorPorts ports, TimeProvider timeProvider, IDictionary<string, string?>? settings = null, params IDocumentSource[] sources) =>
        ContractHost.Running(Options(ports, timeProvider, settings), sources);

    /// <summary>A host whose sources <paramref name="register"/> adds (an inbox source, say).</summary>
    public static ContractHost Create(ConnectorPorts ports, TimeProvider timeProvider, IDictionary<string, string?>? settings, Action<IServiceCollection> register) =>
        new(Options(ports, timeProvider, settings), builder => register(builder.Services));

    private static ContractOptions Options(ConnectorPorts ports, TimeProvider timeProvider, IDictionary<string, string?>? settings)
    {
        var all = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase)
        {
            ["Connector:RetryBaseDelay"] = "00:00:00.001",
            ["Connector:RetryMaxDelay"] = "00:00:00.010",
            // The host's own default, not the kit's 200 ms: timing tests here set retry delays of seconds.
            ["Connector:PushTriggerMaxDelay"] = "00:05:00",
            ["Connector:RateLimit:TokenLimit"] = "1000",
            ["Connector:RateLimit:TokensPerPeriod"] = "1000",
            ["ClaimCheck:ChunkSizeBytes"] = "4096",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            all[key] = value;
        }
        return new ContractOptions
        {
            Connector = Connector,
            ScheduleBinding = Schedule,
            Ports = ports,
            Time = timeProvider,
            Settings = all,
            ThrowOnFailure = false,
        };
    }
}

internal static class ContractHostRunner
{
    extension(ContractHost host)
    {
        /// <summary>The host's runner: these tests drive it directly and assert on its result.</summary>
        public SyncRunner Runner => host.Get<SyncRunner>();
    }
}

/// <summary>The connector's operator keys as the secret store holds them (secret <c>connector-operator-keys</c>).</summary>
internal static class OperatorKeys
{
    public const string OperatorKey = "op-7Hq2Zk9Rw4Tn6Vb1Xc3Lm8Pd";
    public const string ReaderKey = "rd-5Gs8Jf2Kq9Wx4Zn7Bv1Hc6Tm";
    public const string PlaceholderKey = "replace-with-a-long-random-key";
    public const string AppApiToken = "app-token-3Nf8Qw2Lx7Zr5Kd9";

    /// <summary>Puts the keys into <paramref name="secrets"/>: an operator, a reader, and the sample's placeholder.</summary>
    public static InMemorySecrets AddTo(InMemorySecrets secrets) => secrets
        .Set(DaprNames.Secrets.ConnectorOperatorKeys, "ops", OperatorKey + ";operator")
        .Set(DaprNames.Secrets.ConnectorOperatorKeys, "portal", ReaderKey + ";read")
        .Set(DaprNames.Secrets.ConnectorOperatorKeys, "sample", PlaceholderKey + ";operator");
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
