using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Kmrl.Connectors.Apis;
using Kmrl.Connectors.Sync;
using Kmrl.ServiceDefaults;

namespace Kmrl.Reliability.Tests.Support;

/// <summary>
/// What an operator or a Kubernetes probe sees of a running connector: <c>GET /connector/status</c> and
/// <c>GET /health</c> (the connector-sync check). The caller owns the HttpClient; its base address is the app's.
/// </summary>
public sealed class ConnectorProbe(HttpClient http)
{
    public async Task<SourceStatusResponse> SourceAsync(string source)
    {
        var status = await http.GetFromJsonAsync<ConnectorStatusResponse>(ConnectorHostApi.StatusPath, KmrlJson.Options)
            ?? throw new InvalidOperationException("GET /connector/status answered an empty body.");
        return status.Sources.SingleOrDefault(s => s.Source == source)
            ?? throw new InvalidOperationException($"The connector has no source '{source}': {string.Join(", ", status.Sources.Select(s => s.Source))}.");
    }

    /// <summary>The overall status of <c>GET /health</c> and that of its connector-sync entry.</summary>
    public async Task<(string Overall, string ConnectorSync)> HealthAsync()
    {
        // Degraded answers 200 like Healthy (ASP.NET Core's default mapping); the body tells them apart.
        using var response = await http.GetAsync("/health");
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())
            ?? throw new InvalidOperationException("GET /health answered an empty body.");
        return (body["status"]!.GetValue<string>(), body["checks"]!["connector-sync"]!["status"]!.GetValue<string>());
    }

    /// <summary>
    /// Waits for a run of <paramref name="source"/> that finished after <paramref name="after"/> (skipped runs do
    /// not count: they never become LastRun) and returns it.
    /// </summary>
    public async Task<SyncRunResult> WaitForRunAsync(string source, string? after, TimeSpan timeout, Func<SyncRunResult, bool>? until = null)
    {
        var deadline = DateTime.UtcNow + timeout;
        SourceStatusResponse? last = null;
        while (DateTime.UtcNow < deadline)
        {
            last = await SourceAsync(source);
            if (last.LastRun is { } run && run.RunId != after && (until is null || until(run)))
            {
                return run;
            }
            await Task.Delay(100);
        }
        throw new TimeoutException($"No run of '{source}' finished as expected within {timeout}; last seen: {last}");
    }
}
