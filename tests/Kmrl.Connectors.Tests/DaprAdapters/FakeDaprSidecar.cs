using System.Collections.Concurrent;
using System.Globalization;
using Dapr.Client.Autogen.Grpc.v1;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.AspNetCore.Server.Model;
using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;

namespace Kmrl.Connectors.Tests.DaprAdapters;

/// <summary>
/// Just enough of daprd's gRPC API for the host's adapters: state (with ETags and first-write), pub/sub, the
/// blob binding, and the lock API. It speaks the runtime's own messages (from the Dapr SDK's protos), so an
/// unmodified DaprClient talks to it. Not the shared test sidecar: a small stand-in for adapter tests.
/// </summary>
internal sealed class FakeDaprSidecar : IAsyncDisposable
{
    private const string ServiceName = "dapr.proto.runtime.v1.Dapr";
    private WebApplication? _app;

    public ConcurrentDictionary<string, (ByteString Data, long Version)> State { get; } = new(StringComparer.Ordinal);

    public ConcurrentQueue<PublishEventRequest> Published { get; } = new();

    public ConcurrentDictionary<string, ByteString> Blobs { get; } = new(StringComparer.Ordinal);

    public ConcurrentDictionary<string, (string Owner, DateTimeOffset Until)> Locks { get; } = new(StringComparer.Ordinal);

    public ConcurrentQueue<TryLockRequest> LockRequests { get; } = new();

    public ConcurrentQueue<SaveStateRequest> SaveRequests { get; } = new();

    /// <summary>Runs before a state save is applied; throw an RpcException to fail it.</summary>
    public Action<StateItem>? BeforeSave { get; set; }

    public string GrpcEndpoint { get; private set; } = "";

    private long _version;

    public async Task StartAsync()
    {
        var builder = WebApplication.CreateBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(System.Net.IPAddress.Loopback, 0, listen => listen.Protocols = HttpProtocols.Http2));
        builder.Services.AddGrpc();
        builder.Services.AddSingleton(this);
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IServiceMethodProvider<FakeDaprSidecar>, MethodProvider>());
        _app = builder.Build();
        _app.MapGrpcService<FakeDaprSidecar>();
        await _app.StartAsync();
        GrpcEndpoint = _app.Urls.First();
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }
    }

    public global::Dapr.Client.DaprClient CreateClient() =>
        new global::Dapr.Client.DaprClientBuilder()
            .UseGrpcEndpoint(GrpcEndpoint)
            .UseHttpEndpoint(GrpcEndpoint)
            .UseJsonSerializationOptions(Kmrl.ServiceDefaults.KmrlJson.Options)
            .Build();

    private static string StateKey(string store, string key) => store + "/" + key;

    private Empty SaveState(SaveStateRequest request)
    {
        SaveRequests.Enqueue(request);
        foreach (var item in request.States)
        {
            BeforeSave?.Invoke(item);
            var key = StateKey(request.StoreName, item.Key);
            var firstWrite = item.Options?.Concurrency == StateOptions.Types.StateConcurrency.ConcurrencyFirstWrite;
            lock (State)
            {
                var exists = State.TryGetValue(key, out var current);
                var etag = item.Etag?.Value;
                if (!string.IsNullOrEmpty(etag))
                {
                    if (!exists || current.Version.ToString(CultureInfo.InvariantCulture) != etag)
                    {
                        throw new RpcException(new Status(StatusCode.Aborted, "possible etag mismatch"));
                    }
                }
                else if (firstWrite && exists)
                {
                    // Without an ETag the refusal is not an ETag mismatch to daprd: state.redis's setValue returns a
                    // plain error, which grpc.go SaveState answers with Internal (components-contrib v1.16.13
                    // state/redis/redis.go, dapr v1.16.19 pkg/api/grpc/grpc.go getStateErrorCode).
                    throw new RpcException(new Status(StatusCode.Internal,
                        $"failed saving state in state store {request.StoreName}: failed to set key {key}: ERR failed to set key {key}"));
                }
                State[key] = (item.Value, Interlocked.Increment(ref _version));
            }
        }
        return new Empty();
    }

    private GetStateResponse GetState(GetStateRequest request)
    {
        var response = new GetStateResponse();
        if (State.TryGetValue(StateKey(request.StoreName, request.Key), out var current))
        {
            response.Data = current.Data;
            response.Etag = current.Version.ToString(CultureInfo.InvariantCulture);
        }
        return response;
    }

    private Empty PublishEvent(PublishEventRequest request)
    {
        Published.Enqueue(request);
        return new Empty();
    }

    private InvokeBindingResponse InvokeBinding(InvokeBindingRequest request)
    {
        var name = request.Metadata["fileName"];
        switch (request.Operation)
        {
            case "create":
                // As bindings.localstorage stores it: unquoted and base64-decoded where Go manages to.
                Blobs[request.Name + "/" + name] = ByteString.CopyFrom(Kmrl.Dapr.Testing.Runtime.GoDecoding.AsLocalStorageStoresIt(request.Data.ToByteArray()));
                return new InvokeBindingResponse();
            case "get":
                return Blobs.TryGetValue(request.Name + "/" + name, out var data)
                    ? new InvokeBindingResponse { Data = data }
                    : throw new RpcException(new Status(StatusCode.Internal, "open " + name + ": no such file or directory"));
            case "delete":
                Blobs.TryRemove(request.Name + "/" + name, out _);
                return new InvokeBindingResponse();
            default:
                throw new RpcException(new Status(StatusCode.InvalidArgument, "unsupported operation " + request.Operation));
        }
    }

    private TryLockResponse TryLock(TryLockRequest request)
    {
        LockRequests.Enqueue(request);
        var key = request.StoreName + "/" + request.ResourceId;
        var now = DateTimeOffset.UtcNow;
        lock (Locks)
        {
            if (Locks.TryGetValue(key, out var held) && held.Until > now)
            {
                return new TryLockResponse { Success = false };
            }
            Locks[key] = (request.LockOwner, now.AddSeconds(request.ExpiryInSeconds));
            return new TryLockResponse { Success = true };
        }
    }

    private UnlockResponse Unlock(UnlockRequest request)
    {
        var key = request.StoreName + "/" + request.ResourceId;
        lock (Locks)
        {
            if (!Locks.TryGetValue(key, out var held))
            {
                return new UnlockResponse { Status = UnlockResponse.Types.Status.LockDoesNotExist };
            }
            if (held.Owner != request.LockOwner)
            {
                return new UnlockResponse { Status = UnlockResponse.Types.Status.LockBelongsToOthers };
            }
            Locks.TryRemove(key, out _);
            return new UnlockResponse { Status = UnlockResponse.Types.Status.Success };
        }
    }

    private static Method<TRequest, TResponse> Unary<TRequest, TResponse>(string name, MessageParser<TRequest> requestParser, MessageParser<TResponse> responseParser)
        where TRequest : class, IMessage<TRequest>
        where TResponse : class, IMessage<TResponse> =>
        new(MethodType.Unary, ServiceName, name,
            Marshallers.Create(message => message.ToByteArray(), requestParser.ParseFrom),
            Marshallers.Create(message => message.ToByteArray(), responseParser.ParseFrom));

    private sealed class MethodProvider : IServiceMethodProvider<FakeDaprSidecar>
    {
        public void OnServiceMethodDiscovery(ServiceMethodProviderContext<FakeDaprSidecar> context)
        {
            context.AddUnaryMethod(Unary("SaveState", SaveStateRequest.Parser, Empty.Parser), [],
                (sidecar, request, _) => Task.FromResult(sidecar.SaveState(request)));
            context.AddUnaryMethod(Unary("GetState", GetStateRequest.Parser, GetStateResponse.Parser), [],
                (sidecar, request, _) => Task.FromResult(sidecar.GetState(request)));
            context.AddUnaryMethod(Unary("PublishEvent", PublishEventRequest.Parser, Empty.Parser), [],
                (sidecar, request, _) => Task.FromResult(sidecar.PublishEvent(request)));
            context.AddUnaryMethod(Unary("InvokeBinding", InvokeBindingRequest.Parser, InvokeBindingResponse.Parser), [],
                (sidecar, request, _) => Task.FromResult(sidecar.InvokeBinding(request)));
            context.AddUnaryMethod(Unary("TryLockAlpha1", TryLockRequest.Parser, TryLockResponse.Parser), [],
                (sidecar, request, _) => Task.FromResult(sidecar.TryLock(request)));
            context.AddUnaryMethod(Unary("UnlockAlpha1", UnlockRequest.Parser, UnlockResponse.Parser), [],
                (sidecar, request, _) => Task.FromResult(sidecar.Unlock(request)));
        }
    }
}
