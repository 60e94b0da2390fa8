using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Kmrl.ServiceDefaults.Tests;

public sealed class ServiceDefaultsTests
{
    [Fact]
    public async Task Alive_answers_even_when_no_sidecar_is_running()
    {
        await using var app = await StartAppAsync(daprHttpEndpoint: "http://127.0.0.1:9");
        using var client = new HttpClient { BaseAddress = new Uri(Address(app)) };

        var response = await client.GetAsync("/alive");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Health_reports_the_sidecar_unhealthy_when_it_does_not_answer()
    {
        await using var app = await StartAppAsync(daprHttpEndpoint: "http://127.0.0.1:9");
        using var client = new HttpClient { BaseAddress = new Uri(Address(app)) };

        var response = await client.GetAsync("/health");
        using var report = JsonDocument.Parse(await response.Content.ReadAsStringAsync());

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal("Unhealthy", report.RootElement.GetProperty("status").GetString());
        // An anonymous caller (a probe) gets the status only: which check failed and why is for authenticated callers.
        Assert.False(report.RootElement.TryGetProperty("checks", out _));
    }

    [Fact]
    public async Task Health_is_healthy_when_the_sidecar_answers_its_health_endpoint()
    {
        await using var sidecar = await StartFakeSidecarAsync();
        await using var app = await StartAppAsync(daprHttpEndpoint: Address(sidecar));
        using var client = new HttpClient { BaseAddress = new Uri(Address(app)) };

        var response = await client.GetAsync("/health");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Metrics_serves_the_kmrl_meters_and_the_request_durations_in_the_prometheus_text_format()
    {
        await using var app = await StartAppAsync(daprHttpEndpoint: "http://127.0.0.1:9", map: web =>
        {
            var meter = System.Diagnostics.Metrics.MeterFactoryExtensions.Create(web.Services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(), "Kmrl.Probe");
            var runs = meter.CreateCounter<long>("kmrl.probe.runs", "{run}");
            web.MapGet("/work", () =>
            {
                runs.Add(1, new KeyValuePair<string, object?>("kmrl.source", "ops/INBOX"));
                return "done";
            });
        });
        using var client = new HttpClient { BaseAddress = new Uri(Address(app)) };
        Assert.Equal("done", await client.GetStringAsync("/work"));

        var response = await client.GetAsync("/metrics");
        var text = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.StartsWith("text/plain", response.Content.Headers.ContentType?.MediaType);
        // OpenTelemetry names map to Prometheus ones: dots to underscores, the unit as a suffix, counters as _total.
        Assert.Contains("kmrl_probe_runs_total{", text);
        Assert.Contains("kmrl_source=\"ops/INBOX\"", text);
        Assert.Contains("http_server_request_duration_seconds_bucket{", text);
    }

    [Fact]
    public async Task An_unhandled_exception_becomes_a_problem_details_response()
    {
        await using var app = await StartAppAsync(daprHttpEndpoint: "http://127.0.0.1:9",
            map: web => web.MapGet("/boom", () => { throw new InvalidOperationException("kaboom"); }));
        using var client = new HttpClient { BaseAddress = new Uri(Address(app)) };

        var response = await client.GetAsync("/boom");

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task An_unknown_route_is_a_problem_details_404()
    {
        await using var app = await StartAppAsync(daprHttpEndpoint: "http://127.0.0.1:9");
        using var client = new HttpClient { BaseAddress = new Uri(Address(app)) };

        var response = await client.GetAsync("/no-such-thing");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    private static async Task<WebApplication> StartAppAsync(string daprHttpEndpoint, Action<WebApplication>? map = null)
    {
        var builder = WebApplication.CreateBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Configuration["DAPR_HTTP_ENDPOINT"] = daprHttpEndpoint;
        builder.Configuration["DAPR_GRPC_ENDPOINT"] = daprHttpEndpoint;
        builder.AddServiceDefaults();
        var app = builder.Build();
        app.MapDefaultEndpoints();
        map?.Invoke(app);
        await app.StartAsync();
        return app;
    }

    private static async Task<WebApplication> StartFakeSidecarAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var sidecar = builder.Build();
        sidecar.MapGet("/v1.0/healthz", () => Results.NoContent());
        await sidecar.StartAsync();
        return sidecar;
    }

    private static string Address(WebApplication app) =>
        app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
}
