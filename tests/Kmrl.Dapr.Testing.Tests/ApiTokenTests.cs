using System.Net;
using Dapr;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Grpc.Net.Client;
using Kmrl.Testing.Servers;

namespace Kmrl.Dapr.Testing.Tests;

/// <summary>
/// DAPR_API_TOKEN on the sidecar (dapr/dapr pkg/http/server.go useAPIAuthentication, pkg/api/grpc/auth.go): calls to
/// the Dapr API without the matching dapr-api-token are refused over HTTP and gRPC, health probes excepted.
/// </summary>
[Collection(RedisCollection.Name)]
public sealed class ApiTokenTests(RedisServer redis)
{
    private const string Token = "sidecar-api-token";
    private const string Store = "statestore";

    private Task<DaprTestEnvironment> StartAsync() => DaprTestEnvironment.StartAsync(redis, options => options.DaprApiToken = Token);

    [Fact]
    public async Task A_grpc_call_without_the_token_is_unauthenticated_and_one_with_it_is_served()
    {
        await using var environment = await StartAsync();
        var sidecar = await environment.StartSidecarAsync("document-api");
        using var anonymous = sidecar.CreateClient(apiToken: null);
        using var client = sidecar.CreateClient();

        var refused = await Assert.ThrowsAsync<DaprException>(() => anonymous.SaveStateAsync(Store, "doc-1", "draft"));
        await client.SaveStateAsync(Store, "doc-1", "accepted");

        var rpc = Assert.IsType<RpcException>(refused.InnerException);
        Assert.Equal(StatusCode.Unauthenticated, rpc.StatusCode);
        Assert.Equal("Unauthorized", rpc.Status.Detail);
        Assert.Equal("accepted", await client.GetStateAsync<string>(Store, "doc-1"));
    }

    [Fact]
    public async Task A_grpc_call_with_another_token_is_unauthenticated_and_changes_nothing()
    {
        await using var environment = await StartAsync();
        var sidecar = await environment.StartSidecarAsync("email-connector");
        using var client = sidecar.CreateClient();
        using var stranger = sidecar.CreateClient("not-the-token");
        await client.SaveStateAsync(Store, "checkpoint", "uid-10");

        var refused = await Assert.ThrowsAsync<DaprException>(() => stranger.SaveStateAsync(Store, "checkpoint", "uid-99"));

        Assert.Equal(StatusCode.Unauthenticated, Assert.IsType<RpcException>(refused.InnerException).StatusCode);
        Assert.Equal("uid-10", await client.GetStateAsync<string>(Store, "checkpoint"));
    }

    [Fact]
    public async Task The_workflow_engine_on_the_same_grpc_port_asks_for_the_token_too()
    {
        await using var environment = await StartAsync();
        var sidecar = await environment.StartSidecarAsync("document-api");
        using var channel = GrpcChannel.ForAddress(sidecar.GrpcEndpoint);
        var hello = new Method<Empty, Empty>(MethodType.Unary, "TaskHubSidecarService", "Hello",
            Marshallers.Create(m => m.ToByteArray(), Empty.Parser.ParseFrom), Marshallers.Create(m => m.ToByteArray(), Empty.Parser.ParseFrom));

        var refused = await Assert.ThrowsAsync<RpcException>(async () => await channel.CreateCallInvoker().AsyncUnaryCall(hello, null, new CallOptions(), new Empty()));
        await channel.CreateCallInvoker().AsyncUnaryCall(hello, null, new CallOptions(new Metadata { { "dapr-api-token", Token } }), new Empty());

        Assert.Equal(StatusCode.Unauthenticated, refused.StatusCode);
    }

    [Fact]
    public async Task The_http_api_answers_401_invalid_api_token_without_it_but_health_needs_no_token()
    {
        await using var environment = await StartAsync();
        var sidecar = await environment.StartSidecarAsync("document-api");
        using var http = new HttpClient { BaseAddress = new Uri(sidecar.HttpEndpoint) };

        using var refused = await http.GetAsync("/v1.0/invoke/email-connector/method/connector/status");
        using var wrong = new HttpRequestMessage(HttpMethod.Get, "/v1.0/invoke/email-connector/method/connector/status") { Headers = { { "dapr-api-token", "guess" } } };
        using var wrongAnswer = await http.SendAsync(wrong);
        using var health = await http.GetAsync("/v1.0/healthz");
        using var outbound = await http.GetAsync("/v1.0/healthz/outbound");

        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Equal("invalid api token\n", await refused.Content.ReadAsStringAsync());
        Assert.Equal("text/plain", refused.Content.Headers.ContentType?.MediaType);
        Assert.Equal(HttpStatusCode.Unauthorized, wrongAnswer.StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, health.StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, outbound.StatusCode);
    }

    [Fact]
    public async Task Without_a_configured_token_the_sidecar_serves_a_client_that_presents_none()
    {
        await using var environment = await DaprTestEnvironment.StartAsync(redis);
        var sidecar = await environment.StartSidecarAsync("document-api");
        using var anonymous = sidecar.CreateClient(apiToken: null);

        await anonymous.SaveStateAsync(Store, "doc-2", "draft");

        Assert.Equal("draft", await anonymous.GetStateAsync<string>(Store, "doc-2"));
    }
}
