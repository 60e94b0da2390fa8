using System.Text;
using Dapr;
using Dapr.Client;
using Grpc.Core;
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
    public async Task A_second_first_write_insert_without_an_etag_is_an_internal_error_not_an_etag_conflict()
    {
        // components-contrib v1.16.13 state/redis/redis.go setValue: the refused script is an ETag mismatch only when
        // the request had a non-empty ETag (SetRequest.HasETag, state/requests.go); otherwise a plain error, which
        // dapr v1.16.19 pkg/api/grpc/grpc.go SaveState (getStateErrorCode) answers with Internal.
        await using var environment = await DaprTestEnvironment.StartAsync(redis);
        using var client = (await environment.StartSidecarAsync("whatsapp-connector")).CreateClient();
        var firstWrite = new StateOptions { Concurrency = ConcurrencyMode.FirstWrite };
        await client.SaveStateAsync(Store, "wamid.1", "pending", firstWrite);

        var error = await Assert.ThrowsAsync<DaprException>(() => client.TrySaveStateAsync(Store, "wamid.1", "again", "", firstWrite));

        var rpc = Assert.IsType<RpcException>(error.InnerException);
        Assert.Equal(StatusCode.Internal, rpc.StatusCode);
        Assert.StartsWith("failed saving state in state store statestore: failed to set key whatsapp-connector||wamid.1", rpc.Status.Detail);
        Assert.Equal("pending", await client.GetStateAsync<string>(Store, "wamid.1"));
    }

    [Fact]
    public async Task First_write_does_not_protect_a_key_that_was_written_without_it()
    {
        // The set script lets an ETag-less write through unless the key carries the first-write mark, which only a
        // first-write Set leaves (redis.go setDefaultQuery).
        await using var environment = await DaprTestEnvironment.StartAsync(redis);
        using var client = (await environment.StartSidecarAsync("whatsapp-connector")).CreateClient();
        await client.SaveStateAsync(Store, "index", "plain");

        await client.SaveStateAsync(Store, "index", "overwritten", new StateOptions { Concurrency = ConcurrencyMode.FirstWrite });

        Assert.Equal("overwritten", await client.GetStateAsync<string>(Store, "index"));
    }

    [Fact]
    public async Task A_transaction_with_one_stale_etag_fails_as_internal_and_still_writes_the_other_keys()
    {
        // redis.go Multi: one EVAL per key in a MULTI/EXEC pipeline, so a refused script does not discard the others
        // (Redis has no rollback); grpc.go ExecuteStateTransaction wraps EXEC's error as Internal.
        await using var environment = await DaprTestEnvironment.StartAsync(redis);
        using var client = (await environment.StartSidecarAsync("document-api")).CreateClient();
        await client.SaveStateAsync(Store, "record", "v1");
        await client.SaveStateAsync(Store, "index", "i1");
        var (_, recordEtag) = await client.GetStateAndETagAsync<string>(Store, "record");

        var operations = new List<StateTransactionRequest>
        {
            new("record", Encoding.UTF8.GetBytes("\"v2\""), StateOperationType.Upsert, recordEtag),
            new("index", Encoding.UTF8.GetBytes("\"i2\""), StateOperationType.Upsert, "999"),
            new("new", Encoding.UTF8.GetBytes("\"n1\""), StateOperationType.Upsert),
        };
        var error = await Assert.ThrowsAsync<DaprException>(() => client.ExecuteStateTransactionAsync(Store, operations));

        var rpc = Assert.IsType<RpcException>(error.InnerException);
        Assert.Equal(StatusCode.Internal, rpc.StatusCode);
        Assert.StartsWith("error while executing state transaction: ", rpc.Status.Detail);
        Assert.Contains("failed to set key document-api||index", rpc.Status.Detail);
        Assert.DoesNotContain("etag", rpc.Status.Detail, StringComparison.OrdinalIgnoreCase);
        Assert.Equal("v2", await client.GetStateAsync<string>(Store, "record"));
        Assert.Equal("i1", await client.GetStateAsync<string>(Store, "index"));
        Assert.Equal("n1", await client.GetStateAsync<string>(Store, "new"));
    }

    [Fact]
    public async Task An_upsert_without_an_etag_in_a_transaction_overwrites_whatever_is_there()
    {
        // Multi never passes the first-write argument, and "no ETag" is version "0": the last writer wins.
        await using var environment = await DaprTestEnvironment.StartAsync(redis);
        using var client = (await environment.StartSidecarAsync("document-api")).CreateClient();
        await client.SaveStateAsync(Store, "day", "doc-a");

        await client.ExecuteStateTransactionAsync(Store, [new("day", Encoding.UTF8.GetBytes("\"doc-b\""), StateOperationType.Upsert)]);

        var (value, etag) = await client.GetStateAndETagAsync<string>(Store, "day");
        Assert.Equal("doc-b", value);
        Assert.Equal("2", etag);
    }

    [Fact]
    public async Task An_upsert_without_an_etag_in_a_transaction_is_refused_on_a_key_written_with_first_write()
    {
        // The first-write mark stays on the key, and the set script refuses an ETag-less write to a marked key.
        await using var environment = await DaprTestEnvironment.StartAsync(redis);
        using var client = (await environment.StartSidecarAsync("document-api")).CreateClient();
        await client.SaveStateAsync(Store, "day", "doc-a", new StateOptions { Concurrency = ConcurrencyMode.FirstWrite });

        var error = await Assert.ThrowsAsync<DaprException>(() => client.ExecuteStateTransactionAsync(Store,
            [new("day", Encoding.UTF8.GetBytes("\"doc-b\""), StateOperationType.Upsert)]));

        Assert.Equal(StatusCode.Internal, Assert.IsType<RpcException>(error.InnerException).StatusCode);
        Assert.Equal("doc-a", await client.GetStateAsync<string>(Store, "day"));
    }

    [Fact]
    public async Task A_single_delete_with_a_stale_etag_is_aborted()
    {
        await using var environment = await DaprTestEnvironment.StartAsync(redis);
        using var client = (await environment.StartSidecarAsync("document-api")).CreateClient();
        await client.SaveStateAsync(Store, "k", "v1");
        await client.SaveStateAsync(Store, "k", "v2");

        Assert.False(await client.TryDeleteStateAsync(Store, "k", "1"));
        Assert.True(await client.TryDeleteStateAsync(Store, "k", "2"));
        Assert.Null(await client.GetStateAsync<string>(Store, "k"));
    }

    [Fact]
    public async Task A_key_holding_the_prefix_separator_is_refused()
    {
        // dapr pkg/components/state/state_config.go checkKeyIllegal, used for every key of Get, Save, Delete and transactions.
        await using var environment = await DaprTestEnvironment.StartAsync(redis);
        using var client = (await environment.StartSidecarAsync("document-api")).CreateClient();

        var save = await Assert.ThrowsAsync<DaprException>(() => client.SaveStateAsync(Store, "src:email:a||b", "x"));
        var get = await Assert.ThrowsAsync<DaprException>(() => client.GetStateAsync<string>(Store, "a||b"));
        var transaction = await Assert.ThrowsAsync<DaprException>(() => client.ExecuteStateTransactionAsync(Store,
            [new("fine", Encoding.UTF8.GetBytes("1"), StateOperationType.Upsert), new("a||b", Encoding.UTF8.GetBytes("1"), StateOperationType.Upsert)]));

        foreach (var error in new[] { save, get, transaction })
        {
            var rpc = Assert.IsType<RpcException>(error.InnerException);
            Assert.Equal(StatusCode.InvalidArgument, rpc.StatusCode);
            Assert.Contains("can't contain '||'", rpc.Status.Detail);
        }
        Assert.Null(await client.GetStateAsync<string>(Store, "fine"));
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
        // The file's redis-password is not in whatsapp-connector's secret scope (dapr-config/whatsapp-connector.yaml).
        Assert.Equal(["whatsapp"], bulk.Keys);
    }

    [Fact]
    public async Task An_unknown_secret_is_an_internal_error_with_the_text_daprd_gives()
    {
        await using var environment = await DaprTestEnvironment.StartAsync(redis);
        using var client = (await environment.StartSidecarAsync("whatsapp-connector")).CreateClient();

        // A name the app's scope allows but the file does not hold (a name outside the scope is PermissionDenied first).
        var exception = await Assert.ThrowsAsync<DaprException>(() => client.GetSecretAsync("secretstore", "whatsapp"));

        var rpc = Assert.IsType<global::Grpc.Core.RpcException>(exception.InnerException);
        Assert.Equal(global::Grpc.Core.StatusCode.Internal, rpc.StatusCode);
        Assert.Equal("failed getting secret with key whatsapp from secret store secretstore: secret whatsapp not found", rpc.Status.Detail);
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
