using Dapr.Client;
using Grpc.Core;

namespace Kmrl.Dapr.Contract.Tests;

/// <summary>
/// state.redis through daprd. Single-key ETag errors are answered Aborted (dapr v1.16.19 pkg/api/grpc: an
/// ETagError of kind Mismatch on SaveState/DeleteState becomes codes.Aborted, which the SDK's TrySaveStateAsync turns
/// into false). A transaction on Redis runs one script per key inside MULTI/EXEC (components-contrib v1.16.13
/// state/redis/redis.go <c>Multi</c>): a key whose ETag fails does not undo the others, and daprd reports the
/// failure as codes.Internal (dapr v1.16.19 pkg/api/grpc/grpc.go <c>ExecuteStateTransaction</c>:
/// <c>status.Errorf(codes.Internal, messages.ErrStateTransaction, ...)</c>), not as an ETag conflict.
/// </summary>
[Collection(ContractCollection.Name)]
public sealed class StateContractTests(ContractTarget target)
{
    private const string Store = "statestore";

    [Fact]
    public async Task A_single_key_write_with_a_stale_etag_is_refused_and_the_newer_value_kept()
    {
        var key = ContractTarget.Unique("etag");
        await target.Client.SaveStateAsync(Store, key, "v1");
        var (_, first) = await target.Client.GetStateAndETagAsync<string>(Store, key);

        var saved = await target.Client.TrySaveStateAsync(Store, key, "v2", first);
        var stale = await target.Client.TrySaveStateAsync(Store, key, "v3", first);
        var (value, current) = await target.Client.GetStateAndETagAsync<string>(Store, key);

        Assert.True(saved);
        Assert.False(stale);
        Assert.Equal("v2", value);
        Assert.NotEqual(first, current);
    }

    [Fact]
    public async Task A_delete_with_a_stale_etag_is_refused()
    {
        var key = ContractTarget.Unique("etag-delete");
        await target.Client.SaveStateAsync(Store, key, "v1");
        var (_, first) = await target.Client.GetStateAndETagAsync<string>(Store, key);
        await target.Client.SaveStateAsync(Store, key, "v2");

        var deleted = await target.Client.TryDeleteStateAsync(Store, key, first);

        Assert.False(deleted);
        Assert.Equal("v2", await target.Client.GetStateAsync<string>(Store, key));
    }

    [Fact]
    public async Task A_transaction_whose_etag_fails_surfaces_an_internal_error_and_keeps_the_other_keys_written()
    {
        var written = ContractTarget.Unique("tx-a");
        var guarded = ContractTarget.Unique("tx-b");
        await target.Client.SaveStateAsync(Store, guarded, "b1");
        var (_, stale) = await target.Client.GetStateAndETagAsync<string>(Store, guarded);
        await target.Client.SaveStateAsync(Store, guarded, "b2");

        var error = await Assert.ThrowsAnyAsync<Exception>(() => target.Client.ExecuteStateTransactionAsync(Store,
        [
            new StateTransactionRequest(written, System.Text.Json.JsonSerializer.SerializeToUtf8Bytes("a1"), StateOperationType.Upsert),
            new StateTransactionRequest(guarded, System.Text.Json.JsonSerializer.SerializeToUtf8Bytes("b3"), StateOperationType.Upsert, stale),
        ]));

        Assert.Equal(StatusCode.Internal, StatusOf(error));
        Assert.Equal("a1", await target.Client.GetStateAsync<string>(Store, written));
        Assert.Equal("b2", await target.Client.GetStateAsync<string>(Store, guarded));
    }

    private static StatusCode? StatusOf(Exception? exception)
    {
        for (; exception is not null; exception = exception.InnerException)
        {
            if (exception is RpcException rpc)
            {
                return rpc.StatusCode;
            }
        }
        return null;
    }
}
