using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Kmrl.Contracts;
using Kmrl.Reliability.Tests.Support;

namespace Kmrl.Reliability.Tests.BadInput;

/// <summary>One request against a connector's routes without (or with the wrong) credential, and its named outcome.</summary>
public sealed record RouteCase(string Name, string Expected, HttpMethod Method, string Path, string? Bearer = null, string? DaprApiToken = null);

/// <summary>
/// R3, bad credentials: whatsapp-connector's production Program on the test sidecar (which sends the app token,
/// as daprd does). Nothing but the webhook answers without a credential; /health tells an anonymous caller the
/// status only (issue 18). The controls show the same routes answering with the right credential.
/// </summary>
public sealed class ConnectorRouteTests(WhatsAppCorpusFixture fixture) : IClassFixture<WhatsAppCorpusFixture>
{
    private const string Schedule = "/" + DaprNames.Bindings.WhatsAppSchedule;

    public static readonly IReadOnlyList<RouteCase> Cases =
    [
        new("status-without-a-key", "401", HttpMethod.Get, "/connector/status"),
        new("status-with-an-unknown-key", "401", HttpMethod.Get, "/connector/status", Bearer: "unknown-key-8Fj3Kd9Lq2Wz5Xc7"),
        new("status-with-the-app-token-instead-of-a-key", "401", HttpMethod.Get, "/connector/status", DaprApiToken: OperatorAccess.AppApiToken),
        new("sync-request-without-a-key", "401", HttpMethod.Post, "/connector/sources/whatsapp-inbound/sync"),
        new("cron-route-without-dapr-api-token", "401", HttpMethod.Post, Schedule),
        new("cron-route-with-a-wrong-dapr-api-token", "401", HttpMethod.Post, Schedule, DaprApiToken: "not-the-app-token-000000"),
        new("cron-route-with-an-operator-key-instead", "401", HttpMethod.Post, Schedule, Bearer: OperatorAccess.Key),
        new("health-without-a-key", "status-only", HttpMethod.Get, "/health"),
        new("webhook-handshake-with-a-wrong-verify-token", "403", HttpMethod.Get, "/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token=guess&hub.challenge=1"),
        new("control-status-with-the-operator-key", "200", HttpMethod.Get, "/connector/status", Bearer: OperatorAccess.Key),
        new("control-health-with-the-operator-key", "checks", HttpMethod.Get, "/health", Bearer: OperatorAccess.Key),
        new("control-cron-route-with-the-app-token", "200", HttpMethod.Post, Schedule, DaprApiToken: OperatorAccess.AppApiToken),
    ];

    public static TheoryData<string, string> Table()
    {
        var data = new TheoryData<string, string>();
        foreach (var c in Cases) data.Add(c.Name, c.Expected);
        return data;
    }

    [Theory]
    [MemberData(nameof(Table))]
    public async Task A_request_with_a_missing_or_wrong_credential_gets_its_named_outcome(string caseName, string expected)
    {
        var route = Cases.Single(c => c.Name == caseName);
        using var anonymous = new HttpClient { BaseAddress = fixture.Http.BaseAddress };
        using var request = new HttpRequestMessage(route.Method, route.Path);
        if (route.Bearer is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", route.Bearer);
        if (route.DaprApiToken is not null) request.Headers.Add("dapr-api-token", route.DaprApiToken);
        if (route.Method == HttpMethod.Post) request.Content = new StringContent("{}", System.Text.Encoding.UTF8, "application/json");

        using var response = await anonymous.SendAsync(request);
        var actual = route.Path == "/health"
            ? HealthShape(JsonNode.Parse(await response.Content.ReadAsStringAsync()) as JsonObject)
            : ((int)response.StatusCode).ToString(CultureInfo.InvariantCulture);

        ReliabilityReport.Record("R3", "whatsapp-connector route: " + caseName, actual, expected);
        Assert.Equal(expected, actual);
    }

    private static string HealthShape(JsonObject? body) =>
        body is null ? "no-body"
        : body.ContainsKey("checks") ? "checks"
        : body.Count == 1 && body.ContainsKey("status") ? "status-only"
        : "other";
}
