using Dapr;
using Dapr.Client;
using Kmrl.Testing.Servers;

namespace Kmrl.Dapr.Testing.Tests;

[Collection(RedisCollection.Name)]
public sealed class StateAndSecretsTests(RedisServer redis)
{
    private const string Store = "statestore";

    [Fact]
    public async Task State_round_trips_with_an_etag_and_is_stored_under_the_app_id_prefix()
    {
        await using var environment = await DaprTestEnvironment.StartAsync(redis);
        var sidecar = await environment.StartSidecarAsync("document-api");
        using var client = sidecar.CreateClient();

        await client.SaveStateAsync(Store, "doc-1", new { title = "Job card" });
        var (value, etag) = await client.GetStateAndETagAsync<Dictionary<string, string>>(Store, "doc-1");

        Assert.Equal("Job card", value["title"]);
        Assert.Equal("1", etag);
        Assert.True(await environment.Redis.GetDatabase().KeyExistsAsync("document-api||doc-1"));
    }

    [Fact]
    public async Task A_save_with_a_stale_etag_is_refused_and_the_newer_value_stays()
    {
        await using var environment = await DaprTestEnvironment.StartAsync(redis);
        using var client = (await environment.StartSidecarAsync("email-connector")).CreateClient();
        await client.SaveStateAsync(Store, "checkpoint", "uid-10");
        var (_, etag) = await client.GetStateAndETagAsync<string>(Store, "checkpoint");
        await client.SaveStateAsync(Store, "checkpoint", "uid-20");

        var saved = await client.TrySaveStateAsync(Store, "checkpoint", "uid-15", etag);

        Assert.False(saved);
        Assert.Equal("uid-20", await client.GetStateAsync<string>(Store, "checkpoint"));
    }

    [Fact]
    public async Task First_write_concurrency_refuses_a_second_insert_without_an_etag()
    {
        await using var environment = await DaprTestEnvironment.StartAsync(redis);
        using var client = (await environment.StartSidecarAsync("whatsapp-connector")).CreateClient();
        var firstWrite = new StateOptions { Concurrency = ConcurrencyMode.FirstWrite };
        await client.SaveStateAsync(Store, "wamid.1", "pending", firstWrite);

        var error = await Assert.ThrowsAsync<DaprException>(() => client.SaveStateAsync(Store, "wamid.1", "again", firstWrite));

        Assert.Contains("Aborted", error.InnerException?.Message ?? error.Message);
        Assert.Equal("pending", await client.GetStateAsync<string>(Store, "wamid.1"));
    }

    [Fact]
    public async Task A_transaction_with_one_stale_etag_applies_nothing()
    {
        await using var environment = await DaprTestEnvironment.StartAsync(redis);
        using var client = (await environment.StartSidecarAsync("document-api")).CreateClient();
        await client.SaveStateAsync(Store, "record", "v1");
        await client.SaveStateAsync(Store, "index", "i1");
        var (_, recordEtag) = await client.GetStateAndETagAsync<string>(Store, "record");

        var operations = new List<StateTransactionRequest>
        {
            new("record", System.Text.Encoding.UTF8.GetBytes("\"v2\""), StateOperationType.Upsert, recordEtag),
            new("index", System.Text.Encoding.UTF8.GetBytes("\"i2\""), StateOperationType.Upsert, "999"),
        };
        await Assert.ThrowsAsync<DaprException>(() => client.ExecuteStateTransactionAsync(Store, operations));

        Assert.Equal("v1", await client.GetStateAsync<string>(Store, "record"));
        Assert.Equal("i1", await client.GetStateAsync<string>(Store, "index"));
    }

    [Fact]
    public async Task Bulk_get_and_delete_behave_per_key()
    {
        await using var environment = await DaprTestEnvironment.StartAsync(redis);
        using var client = (await environment.StartSidecarAsync("document-api")).CreateClient();
        await client.SaveStateAsync(Store, "a", "1");
        await client.SaveStateAsync(Store, "b", "2");

        await client.DeleteStateAsync(Store, "a");
        var items = await client.GetBulkStateAsync(Store, ["a", "b", "c"], parallelism: 1);

        Assert.Equal("", items.Single(i => i.Key == "a").Value);
        Assert.Equal("\"2\"", items.Single(i => i.Key == "b").Value);
    }

    [Fact]
    public async Task Apps_do_not_see_each_others_state()
    {
        await using var environment = await DaprTestEnvironment.StartAsync(redis);
        using var email = (await environment.StartSidecarAsync("email-connector")).CreateClient();
        using var maximo = (await environment.StartSidecarAsync("maximo-connector")).CreateClient();

        await email.SaveStateAsync(Store, "checkpoint", "email");

        Assert.Null(await maximo.GetStateAsync<string>(Store, "checkpoint"));
    }

    [Fact]
    public async Task The_repositorys_secret_store_answers_a_secret_with_its_keys_as_a_kubernetes_secret_would()
    {
        // components/secretstore.yaml is multiValued: the top-level object "whatsapp" is one secret (filestore.go Init).
        await using var environment = await DaprTestEnvironment.StartAsync(redis, options =>
            options.Secrets["whatsapp"] = new Dictionary<string, object> { ["app-secret"] = "s3cret", ["verify-token"] = "v" });
        using var client = (await environment.StartSidecarAsync("whatsapp-connector")).CreateClient();

        var secret = await client.GetSecretAsync("secretstore", "whatsapp");
        var bulk = await client.GetBulkSecretAsync("secretstore");

        Assert.Equal(new Dictionary<string, string> { ["app-secret"] = "s3cret", ["verify-token"] = "v" }, secret);
        Assert.Equal("s3cret", bulk["whatsapp"]["app-secret"]);
        Assert.Equal(string.Empty, bulk["redis-password"]["redis-password"]);
    }

    [Fact]
    public async Task An_unknown_secret_is_an_internal_error_with_the_text_daprd_gives()
    {
        await using var environment = await DaprTestEnvironment.StartAsync(redis);
        using var client = (await environment.StartSidecarAsync("whatsapp-connector")).CreateClient();

        var exception = await Assert.ThrowsAsync<DaprException>(() => client.GetSecretAsync("secretstore", "whatsapp:app-secret"));

        var rpc = Assert.IsType<global::Grpc.Core.RpcException>(exception.InnerException);
        Assert.Equal(global::Grpc.Core.StatusCode.Internal, rpc.StatusCode);
        Assert.Equal("failed getting secret with key whatsapp:app-secret from secret store secretstore: secret whatsapp:app-secret not found", rpc.Status.Detail);
    }

    [Fact]
    public async Task A_component_scoped_to_other_apps_is_not_loaded()
    {
        await using var environment = await DaprTestEnvironment.StartAsync(redis);
        using var client = (await environment.StartSidecarAsync("document-api")).CreateClient();

        // lockstore is scoped to the connectors only.
        await Assert.ThrowsAsync<DaprException>(() => client.Lock("lockstore", "r", "owner", 10));
    }
}
