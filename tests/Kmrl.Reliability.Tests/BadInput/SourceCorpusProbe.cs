using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Kmrl.Contracts;
using Kmrl.Dapr.Testing;
using Kmrl.ServiceDefaults;

namespace Kmrl.Reliability.Tests.BadInput;

/// <summary>
/// What an R3 corpus test asks of a running connector: fire its cron binding and wait for the run to end, read what
/// its status page recorded as skipped, and what it published.
/// </summary>
public sealed class SourceCorpusProbe(DaprTestEnvironment environment, DaprSidecar sidecar, HttpClient http, string scheduleBinding)
{
    /// <summary>Fires one cron tick and returns the run it caused (<c>lastRun</c> of the first source).</summary>
    public async Task<JsonObject> RunOnceAsync(TimeSpan? timeout = null)
    {
        var before = (await LastRunAsync())?["runId"]?.GetValue<string>();
        await sidecar.FireCronAsync(scheduleBinding);
        return await RunAfterAsync(before, timeout);
    }

    /// <summary>
    /// An operator's sync request on <paramref name="path"/> (the host's <c>/connector/sources/{name}/sync</c>); its
    /// status code, and when it was accepted, once the run it started has ended.
    /// </summary>
    public async Task<int> SyncByRouteAsync(string path)
    {
        var before = (await LastRunAsync())?["runId"]?.GetValue<string>();
        using var response = await http.PostAsync(path, null);
        if (response.StatusCode == System.Net.HttpStatusCode.Accepted)
        {
            await RunAfterAsync(before, null);
        }
        return (int)response.StatusCode;
    }

    private async Task<JsonObject> RunAfterAsync(string? before, TimeSpan? timeout)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(90));
        while (DateTime.UtcNow < deadline)
        {
            var source = await SourceAsync();
            var last = source?["lastRun"] as JsonObject;
            if (last is not null && last["runId"]?.GetValue<string>() != before && source!["running"]?.GetValue<bool>() == false)
            {
                return last;
            }
            await Task.Delay(200);
        }
        throw new TimeoutException($"No run of {sidecar.AppId} ended within the timeout.");
    }

    public async Task<JsonObject?> SourceAsync()
    {
        var status = await http.GetFromJsonAsync<JsonObject>("/connector/status");
        return status!["sources"]!.AsArray().FirstOrDefault() as JsonObject;
    }

    private async Task<JsonObject?> LastRunAsync() => (await SourceAsync())?["lastRun"] as JsonObject;

    /// <summary>"skipped:&lt;filter&gt;" or "dead-lettered:&lt;reason&gt;" for an item the host recorded, else null.</summary>
    public async Task<string?> SkippedOutcomeAsync(Func<JsonNode, bool> match)
    {
        var item = (await SourceAsync())?["recentlySkipped"]?.AsArray().FirstOrDefault(s => s is not null && match(s));
        if (item is null)
        {
            return null;
        }
        var reason = item["reason"]!.GetValue<string>();
        var why = reason.Contains("Extension", StringComparison.Ordinal) ? "extension-not-allowed"
            : reason.Contains("above the limit", StringComparison.Ordinal) ? "too-large"
            : reason.Contains("Content type", StringComparison.Ordinal) ? "content-type-not-allowed"
            : reason.StartsWith("unreadable-message:", StringComparison.Ordinal) ? "unreadable-message"
            : reason.StartsWith("empty-file:", StringComparison.Ordinal) ? "empty-file"
            : reason.Contains("the link is not followed with credentials", StringComparison.Ordinal) ? "foreign-link"
            : reason;
        return (item["kind"]!.GetValue<string>() == "rejected" ? "skipped:" : "dead-lettered:") + why;
    }

    public async Task<IReadOnlyList<DocumentDiscovered>> DiscoveredAsync() =>
        (await environment.PublishedAsync(DaprNames.Topics.DocumentDiscovered))
            .Select(e => e.GetProperty("data").Deserialize<DocumentDiscovered>(KmrlJson.Options)!)
            .ToList();
}
