using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Kmrl.Contracts;
using Kmrl.Dapr.Testing;
using Kmrl.Testing.Servers;
using Xunit.Abstractions;

namespace Kmrl.DocumentApi.Tests.EndToEnd;

/// <summary>
/// The upload hand-off on the Dapr test sidecar with the production Program: what was accepted lives in pub/sub and
/// the workflow engine, not in the app, so stopping the app in the middle of its backlog loses nothing.
/// </summary>
public sealed class IntakeHandOffTests(RedisServer redis, ITestOutputHelper output) : IClassFixture<RedisServer>
{
    private const string ApiKey = "handoff-portal-key-0123456789abcdef";
    private const int Documents = 12;

    [Fact]
    public async Task Every_accepted_upload_ends_final_when_the_app_is_stopped_mid_backlog_and_started_again()
    {
        await using var environment = await DaprTestEnvironment.StartAsync(redis, options =>
        {
            options.Secrets["document-api-api-keys"] = new Dictionary<string, object> { ["handoff"] = ApiKey + ";upload,read" };
            // An entry the stopped app had taken but not acknowledged is claimed again after processingTimeout:
            // seconds here instead of the production minute, so the test does not wait for it.
            options.MetadataOverrides[DaprNames.Components.PubSub] = new Dictionary<string, string> { ["processingTimeout"] = "5s", ["redeliverInterval"] = "1s" };
            options.Log = output.WriteLine;
        });
        var sidecar = await environment.StartSidecarAsync(DaprNames.AppIds.DocumentApi);
        // One CPU slot: the pipeline falls behind the uploads, so there is a backlog when the app stops.
        var settings = new Dictionary<string, string> { ["DocumentApi:Pipeline:MaxConcurrentCpuActivities"] = "1" };
        // The second app takes over the first one's search index (the first is stopped before it starts).
        using var searchIndex = new TempDirectory("handoff-search");
        var first = await sidecar.StartDocumentApiAsync<Program>(settings, searchIndexPath: searchIndex.Path);
        var ids = new List<string>();
        using (var http = Client(first))
        {
            for (var i = 0; i < Documents; i++)
            {
                ids.Add(await UploadAsync(http, TestCorpus.TextPdf($"Work order {i}: replace the platform screen door sensor at Kaloor, bay {i}.")));
            }
            var finalAtStop = 0;
            foreach (var id in ids)
            {
                if (IsFinal(await http.GetFromJsonAsync<JsonObject>($"/documents/{id}"))) finalAtStop++;
            }
            output.WriteLine($"{Documents} accepted, {finalAtStop} final when the app was stopped");
        }
        await first.DisposeAsync();

        await using var second = await sidecar.StartDocumentApiAsync<Program>(settings, searchIndexPath: searchIndex.Path);
        using var reader = Client(second);
        var statuses = new Dictionary<string, string>();
        foreach (var id in ids)
        {
            statuses[id] = await WaitForFinalAsync(reader, id);
        }

        Assert.Equal(Documents, ids.Distinct().Count());
        Assert.All(statuses.Values, status => Assert.Equal("processed", status));
        // Every accepted document was catalogued (events are at least once: a step cut by the stop may publish twice).
        // The catalog step saves the record before it publishes, so "processed" is visible a moment before its event.
        Assert.Equal(ids.Order(), await ProcessedDocumentIdsAsync(environment, ids.Count));
    }

    private static async Task<IReadOnlyList<string>> ProcessedDocumentIdsAsync(DaprTestEnvironment environment, int expected)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            var published = await environment.PublishedAsync(DaprNames.Topics.DocumentProcessed);
            var ids = published.Select(e => e.GetProperty("data").GetProperty("documentId").GetString()!).Distinct().Order().ToList();
            if (ids.Count >= expected || DateTime.UtcNow > deadline) return ids;
            await Task.Delay(100);
        }
    }

    private static HttpClient Client(Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactory<Program> app)
    {
        var http = new HttpClient { BaseAddress = app.ClientOptions.BaseAddress };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", ApiKey);
        return http;
    }

    private static async Task<string> UploadAsync(HttpClient http, byte[] pdf)
    {
        using var form = new MultipartFormDataContent();
        var file = new ByteArrayContent(pdf);
        file.Headers.ContentType = MediaTypeHeaderValue.Parse("application/pdf");
        form.Add(file, "file", "work-order.pdf");
        var response = await http.PostAsync("/documents", form);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonObject>())!["documents"]![0]!["documentId"]!.GetValue<string>();
    }

    private static bool IsFinal(JsonObject? document) =>
        document?["status"]?.GetValue<string>() is "processed" or "rejected" or "duplicate";

    private static async Task<string> WaitForFinalAsync(HttpClient http, string id)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(120);
        JsonObject? last = null;
        while (DateTime.UtcNow < deadline)
        {
            last = await http.GetFromJsonAsync<JsonObject>($"/documents/{id}");
            if (IsFinal(last)) return last!["status"]!.GetValue<string>();
            await Task.Delay(250);
        }
        throw new TimeoutException($"Document {id} did not end final after the restart: {last?.ToJsonString()}");
    }
}
