using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Kmrl.Connectors.Apis;
using Kmrl.Connectors.Tests.Fakes;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Hosting;

namespace Kmrl.Connectors.Tests;

/// <summary>
/// Nothing of the connector host answers without a credential: operators bring an API key with role operator,
/// daprd brings the app token, probes get the health status and nothing else (issue 18).
/// </summary>
public sealed class RouteSecurityTests
{
    private static HttpRequestMessage Request(HttpMethod method, string path, string? bearer = null, string? daprToken = null)
    {
        var request = new HttpRequestMessage(method, path);
        if (bearer is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        if (daprToken is not null) request.Headers.Add("dapr-api-token", daprToken);
        if (method == HttpMethod.Post) request.Content = JsonContent.Create(new { });
        return request;
    }

    private static async Task<HttpStatusCode> StatusOfAsync(HttpClient anonymous, HttpMethod method, string path, string? bearer = null, string? daprToken = null)
    {
        using var request = Request(method, path, bearer, daprToken);
        using var response = await anonymous.SendAsync(request);
        return response.StatusCode;
    }

    private static HttpClient Anonymous(HttpClient client) => new() { BaseAddress = client.BaseAddress };

    [Fact]
    public async Task Status_and_sync_requests_need_an_operator_key_and_a_key_without_the_operator_role_is_forbidden()
    {
        var (app, client) = await ApiTests.StartAsync(new ConnectorPorts(TimeProvider.System), null, TestSource.WithTextItems("inbox", 1));
        await using var _ = app;
        using var __ = client;
        using var anonymous = Anonymous(client);

        Assert.Equal(HttpStatusCode.Unauthorized, await StatusOfAsync(anonymous, HttpMethod.Get, ConnectorHostApi.StatusPath));
        Assert.Equal(HttpStatusCode.Unauthorized, await StatusOfAsync(anonymous, HttpMethod.Post, "/connector/sources/inbox/sync"));
        Assert.Equal(HttpStatusCode.Unauthorized, await StatusOfAsync(anonymous, HttpMethod.Get, ConnectorHostApi.StatusPath, bearer: "not-a-key-9f8e7d6c5b4a3f2e"));
        Assert.Equal(HttpStatusCode.Forbidden, await StatusOfAsync(anonymous, HttpMethod.Get, ConnectorHostApi.StatusPath, bearer: OperatorKeys.ReaderKey));
        // The dapr-api-token is daprd's credential, not an operator's.
        Assert.Equal(HttpStatusCode.Unauthorized, await StatusOfAsync(anonymous, HttpMethod.Get, ConnectorHostApi.StatusPath, daprToken: OperatorKeys.AppApiToken));
        Assert.Equal(HttpStatusCode.OK, await StatusOfAsync(anonymous, HttpMethod.Get, ConnectorHostApi.StatusPath, bearer: OperatorKeys.OperatorKey));
        Assert.Equal(HttpStatusCode.Accepted, await StatusOfAsync(anonymous, HttpMethod.Post, "/connector/sources/inbox/sync", bearer: OperatorKeys.OperatorKey));
    }

    [Fact]
    public async Task A_placeholder_key_of_the_example_secrets_file_is_refused_even_in_the_secret_store()
    {
        var (app, client) = await ApiTests.StartAsync(new ConnectorPorts(TimeProvider.System), null, TestSource.WithTextItems("inbox", 1));
        await using var _ = app;
        using var __ = client;
        using var anonymous = Anonymous(client);

        Assert.Equal(HttpStatusCode.Unauthorized, await StatusOfAsync(anonymous, HttpMethod.Get, ConnectorHostApi.StatusPath, bearer: OperatorKeys.PlaceholderKey));
    }

    [Fact]
    public async Task The_cron_route_needs_the_dapr_api_token()
    {
        var (app, client) = await ApiTests.StartAsync(new ConnectorPorts(TimeProvider.System), null, TestSource.WithTextItems("inbox", 1));
        await using var _ = app;
        using var __ = client;
        using var anonymous = Anonymous(client);

        Assert.Equal(HttpStatusCode.Unauthorized, await StatusOfAsync(anonymous, HttpMethod.Post, "/" + TestHost.Schedule));
        Assert.Equal(HttpStatusCode.Unauthorized, await StatusOfAsync(anonymous, HttpMethod.Post, "/" + TestHost.Schedule, daprToken: "app-token-3Nf8Qw2Lx7Zr5Kd0"));
        // An operator key is not the sidecar's token either.
        Assert.Equal(HttpStatusCode.Unauthorized, await StatusOfAsync(anonymous, HttpMethod.Post, "/" + TestHost.Schedule, bearer: OperatorKeys.OperatorKey));
        Assert.Equal(HttpStatusCode.OK, await StatusOfAsync(anonymous, HttpMethod.Post, "/" + TestHost.Schedule, daprToken: OperatorKeys.AppApiToken));
    }

    [Fact]
    public async Task Without_an_app_token_the_cron_route_is_refused_outside_development_and_open_in_development()
    {
        var noToken = new Dictionary<string, string?> { ["APP_API_TOKEN"] = null };
        var (production, client) = await ApiTests.StartAsync(new ConnectorPorts(TimeProvider.System), noToken, TestSource.WithTextItems("inbox", 1));
        await using (production)
        using (client)
        using (var anonymous = Anonymous(client))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, await StatusOfAsync(anonymous, HttpMethod.Post, "/" + TestHost.Schedule));
        }

        var (development, devClient) = await ApiTests.StartInAsync(Environments.Development, new ConnectorPorts(TimeProvider.System), noToken, TestSource.WithTextItems("inbox", 1));
        await using (development)
        using (devClient)
        using (var anonymous = Anonymous(devClient))
        {
            Assert.Equal(HttpStatusCode.OK, await StatusOfAsync(anonymous, HttpMethod.Post, "/" + TestHost.Schedule));
        }
    }

    [Fact]
    public async Task Health_tells_a_probe_the_status_only_and_an_operator_the_checks_too()
    {
        var (app, client) = await ApiTests.StartAsync(new ConnectorPorts(TimeProvider.System), null, TestSource.WithTextItems("inbox", 1));
        await using var _ = app;
        using var __ = client;
        using var anonymous = Anonymous(client);

        // No sidecar here, so the status is Unhealthy (503): what matters is what the body tells whom.
        using var bare = await anonymous.GetAsync("/health");
        var bareBody = await bare.Content.ReadFromJsonAsync<JsonElement>();
        using var withKey = await client.GetAsync("/health");
        var detailed = await withKey.Content.ReadFromJsonAsync<JsonElement>();

        Assert.Equal(["status"], bareBody.EnumerateObject().Select(p => p.Name));
        Assert.True(detailed.GetProperty("checks").TryGetProperty("connector-sync", out var _));
    }

    [Theory]
    [InlineData("/connector/sources/ops-mailbox/INBOX/sync")]
    [InlineData("/connector/sources/ops-mailbox%2FINBOX/sync")]
    public async Task A_sync_request_reaches_a_source_whose_name_contains_a_slash(string path)
    {
        var ports = new ConnectorPorts(TimeProvider.System);
        var (app, client) = await ApiTests.StartAsync(ports, null, TestSource.WithTextItems("ops-mailbox/INBOX", 1));
        await using var _ = app;
        using var __ = client;

        using var response = await client.PostAsync(path, null);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        await Eventually.TrueAsync(() => ports.Checkpoints.ValueOf(TestHost.Connector, "ops-mailbox/INBOX") == "1", "the folder synced");
        using var wrong = await client.PostAsync("/connector/sources/ops-mailbox/INBOX", null);
        Assert.Equal(HttpStatusCode.NotFound, wrong.StatusCode);
    }
}
