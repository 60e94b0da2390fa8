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

namespace Kmrl.Connectors.WhatsApp.Tests.Dapr;

/// <summary>
/// daprd's state API only (SaveState, GetState, GetBulkState) over gRPC with the runtime's own messages, so an
/// unmodified DaprClient drives the pending-media adapter. ETags are versions; a stale ETag, or a first-write save
/// of an existing key without an ETag, is refused with Aborted (what DaprClient maps to false / DaprException).
/// </summary>
public sealed class StateOnlySidecar : IAsyncDisposable
{
    private const string ServiceName = "dapr.proto.runtime.v1.Dapr";
    private readonly Dictionary<string, (ByteString Data, long Version)> _state = new(StringComparer.Ordinal);
    private WebApplication? _app;
    private long _version;

    public int AbortedSaves;

    public string Endpoint { get; private set; } = "";

    public async Task StartAsync()
    {
        var builder = WebApplication.CreateBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(System.Net.IPAddress.Loopback, 0, listen => listen.Protocols = HttpProtocols.Http2));
        builder.Services.AddGrpc();
        builder.Services.AddSingleton(this);
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IServiceMethodProvider<StateOnlySidecar>, Methods>());
        _app = builder.Build();
        _app.MapGrpcService<StateOnlySidecar>();
        await _app.StartAsync();
        Endpoint = _app.Urls.First();
    }

    public global::Dapr.Client.DaprClient CreateClient() =>
        new global::Dapr.Client.DaprClientBuilder()
            .UseGrpcEndpoint(Endpoint)
            .UseHttpEndpoint(Endpoint)
            .UseJsonSerializationOptions(Kmrl.ServiceDefaults.KmrlJson.Options)
            .Build();

    private Empty SaveState(SaveStateRequest request)
    {
        lock (_state)
        {
            foreach (var item in request.States)
            {
                var key = request.StoreName + "/" + item.Key;
                var exists = _state.TryGetValue(key, out var current);
                var etag = item.Etag?.Value;
                var firstWrite = item.Options?.Concurrency == StateOptions.Types.StateConcurrency.ConcurrencyFirstWrite;
                if ((!string.IsNullOrEmpty(etag) && (!exists || current.Version.ToString(CultureInfo.InvariantCulture) != etag))
                    || (string.IsNullOrEmpty(etag) && firstWrite && exists))
                {
                    Interlocked.Increment(ref AbortedSaves);
                    throw new RpcException(new Status(StatusCode.Aborted, "possible etag mismatch"));
                }
                _state[key] = (item.Value, ++_version);
            }
        }
        return new Empty();
    }

    private GetStateResponse GetState(GetStateRequest request)
    {
        lock (_state)
        {
            var response = new GetStateResponse();
            if (_state.TryGetValue(request.StoreName + "/" + request.Key, out var current))
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

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }
    }

    private static Method<TRequest, TResponse> Unary<TRequest, TResponse>(string name, MessageParser<TRequest> requestParser, MessageParser<TResponse> responseParser)
        where TRequest : class, IMessage<TRequest>
        where TResponse : class, IMessage<TResponse> =>
        new(MethodType.Unary, ServiceName, name,
            Marshallers.Create(message => message.ToByteArray(), requestParser.ParseFrom),
            Marshallers.Create(message => message.ToByteArray(), responseParser.ParseFrom));

    private sealed class Methods : IServiceMethodProvider<StateOnlySidecar>
    {
        public void OnServiceMethodDiscovery(ServiceMethodProviderContext<StateOnlySidecar> context)
        {
            context.AddUnaryMethod(Unary("SaveState", SaveStateRequest.Parser, Empty.Parser), [],
                (sidecar, request, _) => Task.FromResult(sidecar.SaveState(request)));
            context.AddUnaryMethod(Unary("GetState", GetStateRequest.Parser, GetStateResponse.Parser), [],
                (sidecar, request, _) => Task.FromResult(sidecar.GetState(request)));
            context.AddUnaryMethod(Unary("GetBulkState", GetBulkStateRequest.Parser, GetBulkStateResponse.Parser), [],
                (sidecar, request, _) => Task.FromResult(sidecar.GetBulkState(request)));
        }
    }
}
