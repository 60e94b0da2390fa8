using Dapr.Client;
using Dapr.Workflow;
using Kmrl.Testing.Servers;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace Kmrl.Dapr.Contract.Tests;

/// <summary>
/// The sidecar the contract runs against: the double by default, or a real daprd when
/// <c>KMRL_DAPR_CONTRACT_GRPC_ENDPOINT</c> names one (run under <c>dapr run --app-id contract --app-port N</c>, see
/// README.md). The same assertions run on both, so a difference between them is a failing test.
/// </summary>
public sealed class ContractTarget : IAsyncLifetime
{
    public const string GrpcEndpointVariable = "KMRL_DAPR_CONTRACT_GRPC_ENDPOINT";
    public const string HttpEndpointVariable = "KMRL_DAPR_CONTRACT_HTTP_ENDPOINT";
    public const string AppPortVariable = "KMRL_DAPR_CONTRACT_APP_PORT";

    private RedisServer? _redis;
    private Kmrl.Dapr.Testing.DaprTestEnvironment? _environment;

    public bool IsRealDapr { get; private set; }

    public DaprClient Client { get; private set; } = null!;

    public DaprWorkflowClient Workflows => App.Services.GetRequiredService<DaprWorkflowClient>();

    public WebApplication App { get; private set; } = null!;

    public ContractApp Received { get; } = new();

    public static string ComponentsPath => Path.Combine(AppContext.BaseDirectory, "components");

    public async Task InitializeAsync()
    {
        var grpc = Environment.GetEnvironmentVariable(GrpcEndpointVariable);
        if (!string.IsNullOrEmpty(grpc))
        {
            IsRealDapr = true;
            // The dapr CLI gives the app DAPR_HTTP_PORT and APP_PORT; explicit variables win.
            var http = Environment.GetEnvironmentVariable(HttpEndpointVariable)
                ?? "http://127.0.0.1:" + (Environment.GetEnvironmentVariable("DAPR_HTTP_PORT") ?? "3500");
            var port = int.Parse(Environment.GetEnvironmentVariable(AppPortVariable) ?? Environment.GetEnvironmentVariable("APP_PORT")
                ?? throw new InvalidOperationException($"Set {AppPortVariable} to the --app-port given to dapr run."), System.Globalization.CultureInfo.InvariantCulture);
            App = Received.Build(grpc, http, port);
            await App.StartAsync();
            Client = Build(grpc, http);
            await Client.WaitForSidecarAsync();
            return;
        }

        _redis = new RedisServer();
        await _redis.InitializeAsync();
        _environment = await Kmrl.Dapr.Testing.DaprTestEnvironment.StartAsync(_redis, options => options.ResourcesPath = ComponentsPath);
        var sidecar = await _environment.StartSidecarAsync("contract");
        App = Received.Build(sidecar.GrpcEndpoint, sidecar.HttpEndpoint, port: 0);
        await App.StartAsync();
        await sidecar.AttachAppAsync(new Uri(App.Urls.First()));
        Client = Build(sidecar.GrpcEndpoint, sidecar.HttpEndpoint);
    }

    public async Task DisposeAsync()
    {
        Client?.Dispose();
        if (App is not null)
        {
            await App.DisposeAsync();
        }
        if (_environment is not null)
        {
            await _environment.DisposeAsync();
        }
        if (_redis is not null)
        {
            await _redis.DisposeAsync();
        }
    }

    /// <summary>A key or id no earlier run used (a real Redis keeps what earlier runs wrote).</summary>
    public static string Unique(string prefix) => prefix + "-" + Guid.NewGuid().ToString("N")[..12];

    private static DaprClient Build(string grpc, string http) =>
        new DaprClientBuilder().UseGrpcEndpoint(grpc).UseHttpEndpoint(http).Build();
}

[CollectionDefinition(Name)]
public sealed class ContractCollection : ICollectionFixture<ContractTarget>
{
    public const string Name = "contract";
}
