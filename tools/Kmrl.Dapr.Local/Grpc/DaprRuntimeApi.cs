using Dapr.Client.Autogen.Grpc.v1;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.AspNetCore.Server.Model;
using Grpc.Core;
using Kmrl.Dapr.Testing.Runtime;

namespace Kmrl.Dapr.Testing.Grpc;

/// <summary>
/// The <c>dapr.proto.runtime.v1.Dapr</c> gRPC service, bound by hand (no server base class ships) with the
/// runtime's own messages from Dapr.Client, so an unmodified DaprClient talks to it. Errors use the status codes
/// daprd answers with (single-key ETag mismatch: Aborted; any failed transaction: Internal; unknown component:
/// InvalidArgument; component failure: Internal).
/// </summary>
public sealed class DaprRuntimeApi(DaprSidecar sidecar)
{
    public const string ServiceName = "dapr.proto.runtime.v1.Dapr";

    public async Task<GetStateResponse> GetState(GetStateRequest request, ServerCallContext context)
    {
        var store = sidecar.StateStore(request.StoreName);
        RequireLegalKey(request.Key);
        var (data, etag) = await store.GetAsync(request.Key);
        var response = new GetStateResponse();
        if (data is not null)
        {
            response.Data = ByteString.CopyFrom(data);
            response.Etag = etag;
        }
        return response;
    }

    public async Task<GetBulkStateResponse> GetBulkState(GetBulkStateRequest request, ServerCallContext context)
    {
        var store = sidecar.StateStore(request.StoreName);
        foreach (var key in request.Keys)
        {
            RequireLegalKey(key);
        }
        var response = new GetBulkStateResponse();
        foreach (var key in request.Keys)
        {
            var (data, etag) = await store.GetAsync(key);
            var item = new BulkStateItem { Key = key };
            if (data is not null)
            {
                item.Data = ByteString.CopyFrom(data);
                item.Etag = etag;
            }
            response.Items.Add(item);
        }
        return response;
    }

    public async Task<Empty> SaveState(SaveStateRequest request, ServerCallContext context)
    {
        var store = sidecar.StateStore(request.StoreName);
        // grpc.go SaveState: every key is checked before anything is written, then the items are set one by one
        // (a bulk set is per key, not a transaction); an ETag mismatch is Aborted, an invalid ETag InvalidArgument,
        // anything else (a first-write conflict without an ETag, too) Internal.
        foreach (var item in request.States)
        {
            if (item.Key.Length == 0)
            {
                throw new RpcException(new Status(StatusCode.InvalidArgument, "state key cannot be empty"));
            }
            RequireLegalKey(item.Key);
        }
        Exception? failure = null;
        foreach (var item in request.States)
        {
            try
            {
                await store.SetAsync(ToOperation(item, isDelete: false));
            }
            catch (Exception exception) when (exception is ETagMismatchException or ETagInvalidException or StateStoreException)
            {
                if (exception is not ETagInvalidException)
                {
                    sidecar.CountStateConflict();
                }
                failure ??= exception;
            }
        }
        if (failure is not null)
        {
            throw new RpcException(new Status(CodeOf(failure), $"failed saving state in state store {request.StoreName}: {failure.Message}"));
        }
        return new Empty();
    }

    public async Task<Empty> DeleteState(DeleteStateRequest request, ServerCallContext context)
    {
        var store = sidecar.StateStore(request.StoreName);
        RequireLegalKey(request.Key);
        var concurrency = ToConcurrency(request.Options);
        try
        {
            await store.DeleteAsync(new StateOperation(request.Key, true, null, request.Etag?.Value, concurrency, null));
        }
        catch (ETagMismatchException exception)
        {
            sidecar.CountStateConflict();
            throw new RpcException(new Status(StatusCode.Aborted, $"failed deleting state with key {request.Key}: {exception.Message}"));
        }
        return new Empty();
    }

    public async Task<Empty> DeleteBulkState(DeleteBulkStateRequest request, ServerCallContext context)
    {
        var store = sidecar.StateStore(request.StoreName);
        foreach (var item in request.States)
        {
            RequireLegalKey(item.Key);
        }
        Exception? failure = null;
        foreach (var item in request.States)
        {
            try
            {
                await store.DeleteAsync(ToOperation(item, isDelete: true));
            }
            catch (ETagMismatchException exception)
            {
                sidecar.CountStateConflict();
                failure ??= exception;
            }
        }
        if (failure is not null)
        {
            throw new RpcException(new Status(StatusCode.Aborted, $"failed deleting state in state store {request.StoreName}: {failure.Message}"));
        }
        return new Empty();
    }

    public async Task<Empty> ExecuteStateTransaction(ExecuteStateTransactionRequest request, ServerCallContext context)
    {
        var store = sidecar.StateStore(request.StoreName);
        var operations = new List<StateOperation>();
        foreach (var operation in request.Operations)
        {
            RequireLegalKey(operation.Request.Key);
            operations.Add(operation.OperationType switch
            {
                "upsert" => ToOperation(operation.Request, isDelete: false),
                "delete" => ToOperation(operation.Request, isDelete: true),
                var other => throw new RpcException(new Status(StatusCode.Unimplemented, $"operation type {other} not supported")),
            });
        }
        try
        {
            await store.MultiAsync(operations);
        }
        catch (Exception exception) when (exception is ETagInvalidException or StateStoreException)
        {
            // grpc.go ExecuteStateTransaction: whatever Multi returns is Internal, conflicts included; and state.redis
            // has already applied the other keys of the transaction.
            if (exception is StateStoreException)
            {
                sidecar.CountStateConflict();
            }
            throw new RpcException(new Status(StatusCode.Internal, $"error while executing state transaction: {exception.Message}"));
        }
        return new Empty();
    }

    public async Task<Empty> PublishEvent(PublishEventRequest request, ServerCallContext context)
    {
        await sidecar.PublishAsync(request.PubsubName, request.Topic, request.Data.ToByteArray(), request.DataContentType, request.Metadata);
        return new Empty();
    }

    public async Task<BulkPublishResponse> BulkPublishEventAlpha1(BulkPublishRequest request, ServerCallContext context)
    {
        var response = new BulkPublishResponse();
        foreach (var entry in request.Entries)
        {
            try
            {
                await sidecar.PublishAsync(request.PubsubName, request.Topic, entry.Event.ToByteArray(), entry.ContentType, entry.Metadata);
            }
            catch (Exception exception) when (exception is not RpcException)
            {
                response.FailedEntries.Add(new BulkPublishResponseFailedEntry { EntryId = entry.EntryId, Error = exception.Message });
            }
        }
        return response;
    }

    public async Task<InvokeBindingResponse> InvokeBinding(InvokeBindingRequest request, ServerCallContext context)
    {
        var binding = sidecar.OutputBinding(request.Name);
        try
        {
            var (data, metadata) = await binding.InvokeAsync(request.Operation, request.Data.ToByteArray(), request.Metadata, context.CancellationToken);
            var response = new InvokeBindingResponse { Data = ByteString.CopyFrom(data) };
            response.Metadata.Add(metadata);
            return response;
        }
        catch (BindingException exception)
        {
            throw new RpcException(new Status(StatusCode.Internal, $"error invoking output binding {request.Name}: {exception.Message}"));
        }
    }

    /// <summary>
    /// dapr pkg/api/universal/secrets.go GetSecret: the request's key is the secret's name, the response every key of
    /// that secret; the store's error comes back as Internal "failed getting secret with key … from secret store …: …"
    /// (pkg/api/errors secrets.go), here filestore.go's "secret &lt;name&gt; not found".
    /// </summary>
    public Task<GetSecretResponse> GetSecret(GetSecretRequest request, ServerCallContext context)
    {
        var store = sidecar.SecretStore(request.StoreName);
        if (!sidecar.SecretScopes.IsAllowed(request.StoreName, request.Key))
        {
            throw new RpcException(new Status(StatusCode.PermissionDenied, $"access denied by policy to get \"{request.Key}\" from \"{request.StoreName}\""));
        }
        var secret = store.GetSecret(request.Key)
            ?? throw new RpcException(new Status(StatusCode.Internal,
                $"failed getting secret with key {request.Key} from secret store {request.StoreName}: secret {request.Key} not found"));
        var response = new GetSecretResponse();
        foreach (var (key, value) in secret)
        {
            response.Data.Add(key, value);
        }
        return Task.FromResult(response);
    }

    /// <summary>GetBulkSecret: every secret of the store with its keys that the secret scopes allow.</summary>
    public Task<GetBulkSecretResponse> GetBulkSecret(GetBulkSecretRequest request, ServerCallContext context)
    {
        var store = sidecar.SecretStore(request.StoreName);
        var response = new GetBulkSecretResponse();
        foreach (var (name, keys) in store.BulkGetSecret().Where(s => sidecar.SecretScopes.IsAllowed(request.StoreName, s.Key)))
        {
            var secret = new SecretResponse();
            foreach (var (key, value) in keys)
            {
                secret.Secrets.Add(key, value);
            }
            response.Data.Add(name, secret);
        }
        return Task.FromResult(response);
    }

    public async Task<TryLockResponse> TryLockAlpha1(TryLockRequest request, ServerCallContext context)
    {
        if (string.IsNullOrEmpty(request.ResourceId) || string.IsNullOrEmpty(request.LockOwner) || request.ExpiryInSeconds <= 0)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, "ResourceId, LockOwner and a positive ExpiryInSeconds are required"));
        }
        var store = sidecar.LockStore(request.StoreName);
        return new TryLockResponse { Success = await store.TryLockAsync(request.ResourceId, request.LockOwner, request.ExpiryInSeconds) };
    }

    public async Task<UnlockResponse> UnlockAlpha1(UnlockRequest request, ServerCallContext context)
    {
        var store = sidecar.LockStore(request.StoreName);
        return new UnlockResponse { Status = (UnlockResponse.Types.Status)(int)await store.UnlockAsync(request.ResourceId, request.LockOwner) };
    }

    public Task<GetMetadataResponse> GetMetadata(GetMetadataRequest request, ServerCallContext context)
    {
        var response = new GetMetadataResponse { Id = sidecar.AppId };
        foreach (var component in sidecar.Components)
        {
            response.RegisteredComponents.Add(new RegisteredComponents { Name = component.Name, Type = component.Type, Version = component.Version });
        }
        return Task.FromResult(response);
    }

    private static StateOperation ToOperation(StateItem item, bool isDelete)
    {
        int? ttl = item.Metadata.TryGetValue("ttlInSeconds", out var text) && int.TryParse(text, out var seconds) ? seconds : null;
        return new StateOperation(item.Key, isDelete, isDelete ? null : item.Value.ToByteArray(), item.Etag?.Value, ToConcurrency(item.Options), ttl);
    }

    private static StateConcurrency ToConcurrency(StateOptions? options) => options?.Concurrency switch
    {
        StateOptions.Types.StateConcurrency.ConcurrencyFirstWrite => StateConcurrency.FirstWrite,
        StateOptions.Types.StateConcurrency.ConcurrencyLastWrite => StateConcurrency.LastWrite,
        _ => StateConcurrency.Unspecified,
    };

    private static StatusCode CodeOf(Exception failure) => failure switch
    {
        ETagMismatchException => StatusCode.Aborted,
        ETagInvalidException => StatusCode.InvalidArgument,
        _ => StatusCode.Internal,
    };

    /// <summary>daprd refuses a key holding its own prefix separator (pkg/components/state/state_config.go, checkKeyIllegal).</summary>
    private static void RequireLegalKey(string key)
    {
        if (key.Contains("||", StringComparison.Ordinal))
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, $"input key/keyPrefix '{key}' can't contain '||'"));
        }
    }

    internal sealed class MethodProvider : IServiceMethodProvider<DaprRuntimeApi>
    {
        public void OnServiceMethodDiscovery(ServiceMethodProviderContext<DaprRuntimeApi> context)
        {
            Add(context, "GetState", GetStateRequest.Parser, GetStateResponse.Parser, (api, r, c) => api.GetState(r, c));
            Add(context, "GetBulkState", GetBulkStateRequest.Parser, GetBulkStateResponse.Parser, (api, r, c) => api.GetBulkState(r, c));
            Add(context, "SaveState", SaveStateRequest.Parser, Empty.Parser, (api, r, c) => api.SaveState(r, c));
            Add(context, "DeleteState", DeleteStateRequest.Parser, Empty.Parser, (api, r, c) => api.DeleteState(r, c));
            Add(context, "DeleteBulkState", DeleteBulkStateRequest.Parser, Empty.Parser, (api, r, c) => api.DeleteBulkState(r, c));
            Add(context, "ExecuteStateTransaction", ExecuteStateTransactionRequest.Parser, Empty.Parser, (api, r, c) => api.ExecuteStateTransaction(r, c));
            Add(context, "PublishEvent", PublishEventRequest.Parser, Empty.Parser, (api, r, c) => api.PublishEvent(r, c));
            Add(context, "BulkPublishEventAlpha1", BulkPublishRequest.Parser, BulkPublishResponse.Parser, (api, r, c) => api.BulkPublishEventAlpha1(r, c));
            Add(context, "InvokeBinding", InvokeBindingRequest.Parser, InvokeBindingResponse.Parser, (api, r, c) => api.InvokeBinding(r, c));
            Add(context, "GetSecret", GetSecretRequest.Parser, GetSecretResponse.Parser, (api, r, c) => api.GetSecret(r, c));
            Add(context, "GetBulkSecret", GetBulkSecretRequest.Parser, GetBulkSecretResponse.Parser, (api, r, c) => api.GetBulkSecret(r, c));
            Add(context, "TryLockAlpha1", TryLockRequest.Parser, TryLockResponse.Parser, (api, r, c) => api.TryLockAlpha1(r, c));
            Add(context, "UnlockAlpha1", UnlockRequest.Parser, UnlockResponse.Parser, (api, r, c) => api.UnlockAlpha1(r, c));
            Add(context, "GetMetadata", GetMetadataRequest.Parser, GetMetadataResponse.Parser, (api, r, c) => api.GetMetadata(r, c));
        }

        private static void Add<TRequest, TResponse>(ServiceMethodProviderContext<DaprRuntimeApi> context, string name,
            MessageParser<TRequest> requests, MessageParser<TResponse> responses, UnaryServerMethod<DaprRuntimeApi, TRequest, TResponse> handler)
            where TRequest : class, IMessage<TRequest>
            where TResponse : class, IMessage<TResponse>
        {
            var method = new Method<TRequest, TResponse>(MethodType.Unary, ServiceName, name,
                Marshallers.Create(message => message.ToByteArray(), requests.ParseFrom),
                Marshallers.Create(message => message.ToByteArray(), responses.ParseFrom));
            context.AddUnaryMethod(method, [], handler);
        }
    }
}
