using Dapr;
using Grpc.Core;
using Kmrl.DocumentApi.Adapters;

namespace Kmrl.DocumentApi.Tests.Activities;

public sealed class DaprStateStoreTests
{
    [Theory]
    [InlineData(StatusCode.Internal, "error while executing state transaction: possible etag mismatch. error from state store: ERR Error running script", true)]
    [InlineData(StatusCode.Aborted, "failed saving state", true)]
    [InlineData(StatusCode.FailedPrecondition, "", true)]
    [InlineData(StatusCode.Unavailable, "connection refused", false)]
    [InlineData(StatusCode.Internal, "error while executing state transaction: redis: connection pool timeout", false)]
    public void Only_an_etag_conflict_counts_as_a_lost_race(StatusCode code, string detail, bool expected)
    {
        var error = new DaprException("State operation failed: the Dapr endpoint indicated a failure.", new RpcException(new Status(code, detail)));

        Assert.Equal(expected, DaprStateStore.IsETagConflict(error));
    }
}
