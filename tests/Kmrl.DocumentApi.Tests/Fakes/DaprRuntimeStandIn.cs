using System.Collections.Concurrent;
using System.Globalization;
using global::Dapr.Client.Autogen.Grpc.v1;
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

namespace Kmrl.DocumentApi.Tests.Fakes;

/// <summary>
/// The part of daprd's gRPC runtime API the document API's adapters call (state get/bulk get/transaction with ETags,
/// publish, bulk secrets), speaking the SDK's own messages so an unmodified DaprClient talks to it. A stale ETag in a
/// transaction fails the whole transaction with daprd's message.
/// </summary>
public sealed class DaprRuntimeStandIn : IAsyncDisposable
{
    private const string ServiceName = "dapr.proto.runtime.v1.Dapr";
    private readonly Lock _gate = new();
    private WebApplication? _app;
    private long _version;

    public Dictionary<string, (ByteString Data, long Version)> State { get; } = new(StringComparer.Ordinal);

    public ConcurrentQueue<PublishEventRequest> Published { get; } = new();

    public ConcurrentQueue<ExecuteStateTransactionRequest> Transactions { get; } = new();

    public Dictionary<string, Dictionary<string, string>> Secrets { get; } = new(StringComparer.Ordinal);

    public string Endpoint { get; private set; } = "";

    public async Task StartAsync()
    {
        var builder = WebApplication.CreateBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(System.Net.IPAddress.Loopback, 0, l => l.Protocols = HttpProtocols.Http2));
        builder.Services.AddGrpc();
        builder.Services.AddSingleton(this);
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IServiceMethodProvider<DaprRuntimeStandIn>, Methods>());
        _app = builder.Build();
        _app.MapGrpcService<DaprRuntimeStandIn>();
        await _app.StartAsync();
        Endpoint = _app.Urls.First();
    }

    public global::Dapr.Client.DaprClient CreateClient() => new global::Dapr.Client.DaprClientBuilder()
        .UseGrpcEndpoint(Endpoint)
        .UseHttpEndpoint(Endpoint)
        .UseJsonSerializationOptions(Kmrl.ServiceDefaults.KmrlJson.Options)
        .Build();

    public async ValueTask DisposeAsync()
    {
        if (_app is not null) await _app.DisposeAsync();
    }

    private static string Key(string store, string key) => store + "||" + key;

    private GetStateResponse GetState(GetStateRequest request)
    {
        lock (_gate)
        {
            var response = new GetStateResponse();
            if (State.TryGetValue(Key(request.StoreName, request.Key), out var current))
            {
                response.Data = current.Data;
                response.Etag = current.Version.ToString(CultureInfo.InvariantCulture);
            }
            return response;
        }
    }

    private GetBulkStateResponse GetBulkState(GetBulkStateRequest request)
    {
        var response = new GetBulkStateResponse();
        foreach (var key in request.Keys)
        {
            var single = GetState(new GetStateRequest { StoreName = request.StoreName, Key = key });
            response.Items.Add(new BulkStateItem { Key = key, Data = single.Data, Etag = single.Etag });
        }
        return response;
    }

    private Empty ExecuteStateTransaction(ExecuteStateTransactionRequest request)
    {
        Transactions.Enqueue(request);
        lock (_gate)
        {
            foreach (var operation in request.Operations)
            {
                var etag = operation.Request.Etag?.Value;
                if (string.IsNullOrEmpty(etag)) continue;
                if (!State.TryGetValue(Key(request.StoreName, operation.Request.Key), out var current) || current.Version.ToString(CultureInfo.InvariantCulture) != etag)
                {
                    throw new RpcException(new Status(StatusCode.Internal,
                        "error while executing state transaction: possible etag mismatch. error from state store: ERR Error running script"));
                }
            }
            foreach (var operation in request.Operations)
            {
                var key = Key(request.StoreName, operation.Request.Key);
                if (operation.OperationType == "delete") State.Remove(key);
                else State[key] = (operation.Request.Value, ++_version);
            }
        }
        return new Empty();
    }

    private Empty PublishEvent(PublishEventRequest request)
    {
        Published.Enqueue(request);
        return new Empty();
    }

    private GetBulkSecretResponse GetBulkSecret(GetBulkSecretRequest request)
    {
        var response = new GetBulkSecretResponse();
        foreach (var (name, values) in Secrets)
        {
            var secret = new SecretResponse();
            secret.Secrets.Add(values);
            response.Data.Add(name, secret);
        }
        return response;
    }

    private static Method<TRequest, TResponse> Unary<TRequest, TResponse>(string name, MessageParser<TRequest> requests, MessageParser<TResponse> responses)
        where TRequest : class, IMessage<TRequest>
        where TResponse : class, IMessage<TResponse> =>
        new(MethodType.Unary, ServiceName, name,
            Marshallers.Create(m => m.ToByteArray(), requests.ParseFrom),
            Marshallers.Create(m => m.ToByteArray(), responses.ParseFrom));

    private sealed class Methods : IServiceMethodProvider<DaprRuntimeStandIn>
    {
        public void OnServiceMethodDiscovery(ServiceMethodProviderContext<DaprRuntimeStandIn> context)
        {
            context.AddUnaryMethod(Unary("GetState", GetStateRequest.Parser, GetStateResponse.Parser), [], (s, r, _) => Task.FromResult(s.GetState(r)));
            context.AddUnaryMethod(Unary("GetBulkState", GetBulkStateRequest.Parser, GetBulkStateResponse.Parser), [], (s, r, _) => Task.FromResult(s.GetBulkState(r)));
            context.AddUnaryMethod(Unary("ExecuteStateTransaction", ExecuteStateTransactionRequest.Parser, Empty.Parser), [], (s, r, _) => Task.FromResult(s.ExecuteStateTransaction(r)));
            context.AddUnaryMethod(Unary("PublishEvent", PublishEventRequest.Parser, Empty.Parser), [], (s, r, _) => Task.FromResult(s.PublishEvent(r)));
            context.AddUnaryMethod(Unary("GetBulkSecret", GetBulkSecretRequest.Parser, GetBulkSecretResponse.Parser), [], (s, r, _) => Task.FromResult(s.GetBulkSecret(r)));
        }
    }
}
