using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Kmrl.BuildingBlocks.PubSub;
using Kmrl.ClaimCheck;
using Kmrl.Connectors.Apis;
using Kmrl.Connectors.Ports;
using Kmrl.Connectors.Tests.Fakes;
using Kmrl.Contracts;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Kmrl.Connectors.Tests;

/// <summary>The connector's HTTP surface on Kestrel (127.0.0.1, free port), as daprd and an operator see it.</summary>
public sealed class ApiTests
{
    /// <summary>
    /// The app in Production (no environment set), with operator keys and an app token; the client sends both, as
    /// an operator and daprd would. <see cref="RouteSecurityTests"/> shows what happens without them.
    /// </summary>
    internal static Task<(WebApplication App, HttpClient Client)> StartAsync(ConnectorPorts ports, Dictionary<string, string?>? settings, params IDocumentSource[] sources) =>
        StartInAsync(Environments.Production, ports, settings, sources);

    internal static Task<(WebApplication App, HttpClient Client)> StartInAsync(string environment, ConnectorPorts ports, Dictionary<string, string?>? settings, params IDocumentSource[] sources) =>
        StartWithAsync(environment, ports, settings, services =>
        {
            foreach (var source in sources)
            {
                services.AddDocumentSource(_ => source);
            }
        });

    /// <summary>As <see cref="StartInAsync"/>, with the sources <paramref name="register"/> adds.</summary>
    internal static async Task<(WebApplication App, HttpClient Client)> StartWithAsync(
        string environment, ConnectorPorts ports, Dictionary<string, string?>? settings, Action<IServiceCollection> register)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = environment });
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        foreach (var (key, value) in settings ?? [])
        {
            builder.Configuration[key] = value;
        }
        builder.Configuration["Connector:RetryBaseDelay"] ??= "00:00:00.001";
        builder.Configuration["Connector:RetryMaxDelay"] ??= "00:00:00.010";
        if (settings is null || !settings.ContainsKey("APP_API_TOKEN"))
        {
            builder.Configuration["APP_API_TOKEN"] = OperatorKeys.AppApiToken;
        }
        builder.AddServiceDefaults();
        builder.AddConnectorHost(TestHost.Connector, TestHost.Schedule);
        register(builder.Services);
        OperatorKeys.AddTo(ports.Secrets);
        ports.ReplaceIn(builder.Services);
        var app = builder.Build();
        app.MapDefaultEndpoints();
        app.MapConnectorHostApi();
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        var client = new HttpClient { BaseAddress = new Uri(address) };
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", OperatorKeys.OperatorKey);
        client.DefaultRequestHeaders.Add("dapr-api-token", OperatorKeys.AppApiToken);
        return (app, client);
    }

    [Fact]
    public async Task A_post_to_the_cron_binding_route_answers_200_and_syncs_every_source()
    {
        var ports = new ConnectorPorts(TimeProvider.System);
        var inbox = TestSource.WithTextItems("inbox", 2);
        var archive = TestSource.WithTextItems("archive", 3);
        var (app, client) = await StartAsync(ports, null, inbox, archive);
        await using var _ = app;
        using var __ = client;

        using var fired = await client.PostAsync("/" + TestHost.Schedule, JsonContent.Create(new { }));
        Assert.Equal(HttpStatusCode.OK, fired.StatusCode);
        var requested = await fired.Content.ReadFromJsonAsync<SyncRequestedResponse>();
        Assert.Equal(["archive", "inbox"], requested!.Sources.Order());

        await Eventually.TrueAsync(() => ports.Publisher.Of<DocumentDiscovered>().Count == 5, "both sources synced");
        await Eventually.TrueAsync(() => ports.Checkpoints.ValueOf(TestHost.Connector, "archive") == "3", "archive checkpoint stored");
    }

    [Fact]
    public async Task The_cron_binding_route_has_no_options_handler_and_a_probing_daprd_still_counts_it_as_listening()
    {
        var ports = new ConnectorPorts(TimeProvider.System);
        var (app, client) = await StartAsync(ports, null, TestSource.WithTextItems("inbox", 1));
        await using var _ = app;
        using var __ = client;

        using var probe = await client.SendAsync(new HttpRequestMessage(HttpMethod.Options, "/" + TestHost.Schedule));

        // daprd (when a binding lacks direction: input) takes 2xx or 405 as "the app listens".
        Assert.Equal(HttpStatusCode.MethodNotAllowed, probe.StatusCode);
    }

    [Fact]
    public async Task Status_shows_last_run_checkpoint_counts_and_skipped_items()
    {
        var ports = new ConnectorPorts(TimeProvider.System);
        var source = new TestSource("inbox", [TestItem.Text("a", "x"), TestItem.Text("b", "y", "b.exe")]);
        var (app, client) = await StartAsync(ports, null, source);
        await using var _ = app;
        using var __ = client;

        var started = DateTimeOffset.UtcNow;
        using var sync = await client.PostAsync("/connector/sources/inbox/sync", null);
        Assert.Equal(HttpStatusCode.Accepted, sync.StatusCode);
        await Eventually.TrueAsync(() => ports.Checkpoints.ValueOf(TestHost.Connector, "inbox") == "2", "the sync finished");
        await Eventually.TrueAsync(() => app.Services.GetRequiredService<Observability.ConnectorStatusRegistry>().Get("inbox").LastRun is not null, "the run recorded");

        var status = await client.GetFromJsonAsync<JsonElement>(ConnectorHostApi.StatusPath);

        Assert.Equal(TestHost.Connector, status.GetProperty("connector").GetString());
        Assert.Equal("Healthy", status.GetProperty("health").GetString());
        var inbox = status.GetProperty("sources").EnumerateArray().Single();
        Assert.Equal("inbox", inbox.GetProperty("source").GetString());
        Assert.Equal("completed", inbox.GetProperty("lastRun").GetProperty("outcome").GetString());
        Assert.True(inbox.TryGetProperty("lastSuccessAt", out var _));
        // The one document handed on (b.exe was rejected): when, for the operations page's lag.
        Assert.InRange(inbox.GetProperty("lastDocumentAt").GetDateTimeOffset(), started, DateTimeOffset.UtcNow);
        Assert.Equal("2", inbox.GetProperty("checkpoint").GetProperty("valuePreview").GetString());
        Assert.True(inbox.GetProperty("checkpoint").GetProperty("fromStore").GetBoolean());
        Assert.Equal(1, inbox.GetProperty("counts").GetProperty("discovered").GetInt64());
        Assert.Equal(1, inbox.GetProperty("counts").GetProperty("rejected").GetInt64());
        var skipped = inbox.GetProperty("recentlySkipped").EnumerateArray().Single();
        Assert.Equal("b", skipped.GetProperty("sourceId").GetString());
        Assert.Contains(".exe", skipped.GetProperty("reason").GetString());
    }

    [Fact]
    public async Task A_sync_request_for_an_unknown_source_is_a_404_problem()
    {
        var ports = new ConnectorPorts(TimeProvider.System);
        var (app, client) = await StartAsync(ports, null, TestSource.WithTextItems("inbox", 1));
        await using var _ = app;
        using var __ = client;

        using var response = await client.PostAsync("/connector/sources/nope/sync", null);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Contains("'nope'", problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task Invalid_settings_stop_the_app_at_start_with_messages_naming_each_setting()
    {
        var ports = new ConnectorPorts(TimeProvider.System);
        var settings = new Dictionary<string, string?>
        {
            ["Connector:LockLeaseDuration"] = "00:01:00",
            ["Connector:LeaseSafetyMargin"] = "00:02:00",
            ["Connector:MaxDocumentAttempts"] = "0",
            ["Connector:Filters:AdditionalExtensions:0"] = "tar.gz",
        };

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => StartAsync(ports, settings, TestSource.WithTextItems("inbox", 1)));

        Assert.Contains("Connector:LeaseSafetyMargin is 00:02:00; it must be above zero and below Connector:LockLeaseDuration (00:01:00)", error.Message);
        Assert.Contains("Connector:MaxDocumentAttempts is 0; it must be 1 or more.", error.Message);
        Assert.Contains("extension 'tar.gz' must be letters and digits", error.Message);
    }
}
