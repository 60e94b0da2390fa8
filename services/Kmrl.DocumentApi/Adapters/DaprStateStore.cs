using System.Text.Json;
using Dapr;
using Dapr.Client;
using Kmrl.Contracts;
using Kmrl.DocumentApi.Ports;
using Kmrl.ServiceDefaults;

namespace Kmrl.DocumentApi.Adapters;

/// <summary>The state store through the Dapr sidecar; a transaction with a stale ETag is reported as false.</summary>
public sealed class DaprStateStore(DaprClient dapr) : IStateStore
{
    public async Task<StoredValue<T>?> GetAsync<T>(string key, CancellationToken cancellationToken)
    {
        var (value, etag) = await dapr.GetStateAndETagAsync<T>(DaprNames.Components.StateStore, key, cancellationToken: cancellationToken);
        return value is null ? null : new StoredValue<T>(value, etag);
    }

    public async Task<IReadOnlyList<T>> GetManyAsync<T>(IReadOnlyList<string> keys, CancellationToken cancellationToken)
    {
        if (keys.Count == 0) return [];
        var items = await dapr.GetBulkStateAsync<T>(DaprNames.Components.StateStore, keys, parallelism: 8, cancellationToken: cancellationToken);
        var byKey = items.Where(i => i.Value is not null).ToDictionary(i => i.Key, i => i.Value);
        // The sidecar does not promise the order of a bulk read; keep the caller's.
        return keys.Where(byKey.ContainsKey).Select(k => byKey[k]).ToList();
    }

    public async Task<bool> TryCommitAsync(IReadOnlyList<StateWrite> writes, CancellationToken cancellationToken)
    {
        var requests = writes.Select(w => new StateTransactionRequest(
            w.Key,
            w.IsDelete ? null : JsonSerializer.SerializeToUtf8Bytes(w.Value, w.Value!.GetType(), KmrlJson.Options),
            w.IsDelete ? StateOperationType.Delete : StateOperationType.Upsert,
            string.IsNullOrEmpty(w.ETag) ? null : w.ETag)).ToList();
        try
        {
            await dapr.ExecuteStateTransactionAsync(DaprNames.Components.StateStore, requests, cancellationToken: cancellationToken);
            return true;
        }
        catch (DaprException ex) when (IsETagConflict(ex))
        {
            return false;
        }
    }

    /// <summary>
    /// daprd reports a stale ETag in a transaction as "error while executing state transaction: possible etag
    /// mismatch ..." (status Internal with some stores, Aborted or FailedPrecondition with others).
    /// </summary>
    public static bool IsETagConflict(Exception exception)
    {
        for (var current = exception; current is not null; current = current.InnerException)
        {
            if (current is Grpc.Core.RpcException { StatusCode: Grpc.Core.StatusCode.Aborted or Grpc.Core.StatusCode.FailedPrecondition })
            {
                return true;
            }
            var detail = current is Grpc.Core.RpcException rpc ? rpc.Status.Detail : current.Message;
            if (detail.Contains("etag", StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }
        return false;
    }
}
