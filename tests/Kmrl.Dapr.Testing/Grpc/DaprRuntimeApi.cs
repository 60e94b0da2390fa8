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
/// daprd answers with (ETag mismatch: Aborted; unknown component: InvalidArgument; component failure: Internal).
/// </summary>
public sealed class DaprRuntimeApi(DaprSidecar sidecar)
{
    public const string ServiceName = "dapr.proto.runtime.v1.Dapr";

    public async Task<GetStateResponse> GetState(GetStateRequest request, ServerCallContext context)
    {
        var store = sidecar.StateStore(request.StoreName);
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
        // daprd saves the items of one SaveState call one by one (bulk set), not as a transaction.
        foreach (var item in request.States)
        {
            await Apply(store, [ToOperation(item, isDelete: false)]);
        }
        return new Empty();
    }

    public async Task<Empty> DeleteState(DeleteStateRequest request, ServerCallContext context)
    {
        var store = sidecar.StateStore(request.StoreName);
        var firstWrite = request.Options?.Concurrency == StateOptions.Types.StateConcurrency.ConcurrencyFirstWrite;
        await Apply(store, [new StateOperation(request.Key, true, null, request.Etag?.Value, firstWrite, null)]);
        return new Empty();
    }

    public async Task<Empty> DeleteBulkState(DeleteBulkStateRequest request, ServerCallContext context)
    {
        var store = sidecar.StateStore(request.StoreName);
        foreach (var item in request.States)
        {
            await Apply(store, [ToOperation(item, isDelete: true)]);
        }
        return new Empty();
    }

    public async Task<Empty> ExecuteStateTransaction(ExecuteStateTransactionRequest request, ServerCallContext context)
    {
        var store = sidecar.StateStore(request.StoreName);
        var operations = request.Operations.Select(operation => operation.OperationType switch
        {
            "upsert" => ToOperation(operation.Request, isDelete: false),
            "delete" => ToOperation(operation.Request, isDelete: true),
            var other => throw new RpcException(new Status(StatusCode.InvalidArgument, $"operation type {other} not supported")),
        }).ToList();
        await Apply(store, operations);
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

    /// <summary>GetBulkSecret: every secret of the store with its keys (no secret scopes are modelled).</summary>
    public Task<GetBulkSecretResponse> GetBulkSecret(GetBulkSecretRequest request, ServerCallContext context)
    {
        var store = sidecar.SecretStore(request.StoreName);
        var response = new GetBulkSecretResponse();
        foreach (var (name, keys) in store.BulkGetSecret())
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
        var firstWrite = item.Options?.Concurrency == StateOptions.Types.StateConcurrency.ConcurrencyFirstWrite;
        int? ttl = item.Metadata.TryGetValue("ttlInSeconds", out var text) && int.TryParse(text, out var seconds) ? seconds : null;
        return new StateOperation(item.Key, isDelete, isDelete ? null : item.Value.ToByteArray(), item.Etag?.Value, firstWrite, ttl);
    }

    private async Task Apply(RedisStateStore store, IReadOnlyList<StateOperation> operations)
    {
        try
        {
            await store.ApplyAsync(operations);
        }
        catch (ETagMismatchException exception)
        {
            sidecar.CountStateConflict();
            throw new RpcException(new Status(StatusCode.Aborted, exception.Message));
        }
        catch (ETagInvalidException exception)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, exception.Message));
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
