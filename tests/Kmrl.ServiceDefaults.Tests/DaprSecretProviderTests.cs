using Dapr.Client;
using Grpc.Net.Client;
using Kmrl.BuildingBlocks.Secrets;
using Kmrl.Dapr.Testing;
using Kmrl.Testing.Servers;
using Microsoft.Extensions.Time.Testing;

namespace Kmrl.ServiceDefaults.Tests;

/// <summary>
/// The one secret port of every app, with an unmodified DaprClient against the sidecar double and the repository's
/// components/secretstore.yaml (local.file, multiValued: a top-level object of secrets.json is one secret). Calls are
/// counted on the wire.
/// </summary>
public sealed class DaprSecretProviderTests(RedisServer redis) : IClassFixture<RedisServer>, IAsyncLifetime
{
    private readonly FakeTimeProvider _time = new();
    private readonly CountingHandler _calls = new();
    private DaprTestEnvironment _environment = null!;
    private DaprClient _client = null!;
    private DaprSecretProvider _provider = null!;

    public async Task InitializeAsync()
    {
        _environment = await DaprTestEnvironment.StartAsync(redis, options =>
        {
            options.Secrets["whatsapp"] = new Dictionary<string, object> { ["access-token"] = "token", ["app-secret"] = "s3cret", ["verify-token"] = "" };
        });
        var sidecar = await _environment.StartSidecarAsync("whatsapp-connector");
        _client = Client(sidecar.GrpcEndpoint);
        _provider = new DaprSecretProvider(_client, _time);
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _environment.DisposeAsync();
    }

    [Fact]
    public async Task One_get_secret_reads_every_key_of_a_secret_and_the_keys_are_cached_for_a_minute()
    {
        Assert.Equal("token", await _provider.GetSecretAsync("whatsapp", "access-token", CancellationToken.None));
        Assert.Equal("s3cret", await _provider.GetSecretAsync("whatsapp", "app-secret", CancellationToken.None));
        Assert.Equal(1, _calls.Count("GetSecret"));

        _time.Advance(DaprSecretProvider.CacheDuration + TimeSpan.FromSeconds(1));
        Assert.Equal("token", await _provider.GetSecretAsync("whatsapp", "access-token", CancellationToken.None));

        Assert.Equal(2, _calls.Count("GetSecret"));
        Assert.Equal(0, _calls.Count("GetBulkSecret"));
    }

    [Fact]
    public async Task A_missing_or_empty_key_is_not_found_at_once_without_asking_for_any_other_name()
    {
        var empty = await Assert.ThrowsAsync<SecretNotFoundException>(() => _provider.GetSecretAsync("whatsapp", "verify-token", CancellationToken.None));
        var missing = await Assert.ThrowsAsync<SecretNotFoundException>(() => _provider.GetSecretAsync("whatsapp", "nope", CancellationToken.None));

        Assert.Equal(("whatsapp", "verify-token"), (empty.Name, empty.Key));
        Assert.Equal(("whatsapp", "nope"), (missing.Name, missing.Key));
        // One read of "whatsapp"; no second guess such as "whatsapp:nope" (the old flattened-name fallback).
        Assert.Equal(1, _calls.Count("GetSecret"));
    }

    [Fact]
    public async Task A_secret_the_store_does_not_have_is_remembered_for_a_few_seconds_then_asked_for_again()
    {
        var first = await Assert.ThrowsAsync<SecretNotFoundException>(() => _provider.GetSecretValuesAsync("connector-operator-keys", CancellationToken.None));
        await Assert.ThrowsAsync<SecretNotFoundException>(() => _provider.GetSecretAsync("connector-operator-keys", "password", CancellationToken.None));
        Assert.Equal(1, _calls.Count("GetSecret"));
        Assert.Null(first.Key);
        Assert.Contains("secret connector-operator-keys not found", first.InnerException!.InnerException!.Message, StringComparison.Ordinal);

        _time.Advance(DaprSecretProvider.NegativeCacheDuration + TimeSpan.FromSeconds(1));
        await Assert.ThrowsAsync<SecretNotFoundException>(() => _provider.GetSecretValuesAsync("connector-operator-keys", CancellationToken.None));

        Assert.Equal(2, _calls.Count("GetSecret"));
    }

    [Fact]
    public async Task A_sidecar_that_cannot_be_reached_is_not_taken_for_a_missing_secret_nor_remembered()
    {
        using var unreachable = Client("http://127.0.0.1:1");
        var provider = new DaprSecretProvider(unreachable, _time);

        var first = await Assert.ThrowsAsync<global::Dapr.DaprException>(() => provider.GetSecretAsync("whatsapp", "access-token", CancellationToken.None));
        // Remembered, the second call would be a SecretNotFoundException from the cache; it asks the sidecar again.
        var second = await Assert.ThrowsAsync<global::Dapr.DaprException>(() => provider.GetSecretAsync("whatsapp", "access-token", CancellationToken.None));

        Assert.All([first, second], e => Assert.Equal(global::Grpc.Core.StatusCode.Unavailable, Assert.IsType<global::Grpc.Core.RpcException>(e.InnerException).StatusCode));
    }

    private DaprClient Client(string grpcEndpoint) =>
        new DaprClientBuilder()
            .UseGrpcEndpoint(grpcEndpoint)
            .UseGrpcChannelOptions(new GrpcChannelOptions { HttpHandler = _calls })
            .Build();

    /// <summary>Counts gRPC calls by method name (the last segment of the request path).</summary>
    private sealed class CountingHandler() : DelegatingHandler(new SocketsHttpHandler())
    {
        private readonly List<string> _methods = [];

        public int Count(string method)
        {
            lock (_methods)
            {
                return _methods.Count(m => m == method);
            }
        }

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            lock (_methods)
            {
                _methods.Add(request.RequestUri!.Segments[^1]);
            }
            return base.SendAsync(request, cancellationToken);
        }
    }
}
