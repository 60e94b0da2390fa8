using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Kmrl.Contracts;
using Kmrl.Dapr.Testing;
using Kmrl.Testing.Servers;
using StackExchange.Redis;
using Xunit.Abstractions;

namespace Kmrl.DocumentApi.Tests.EndToEnd;

/// <summary>
/// The whole runtime stopped mid-pipeline and started again on the same Redis and blob folder: the sidecar double's
/// workflow engine is in memory, so every run it held is gone (as after a purge or a lost actor store on real Dapr),
/// and the pub/sub deliveries that started them were acknowledged. document-api's start-up reconciliation
/// (PipelineReconciler) schedules those documents again.
/// </summary>
public sealed class RuntimeRestartTests(RedisServer redis, ITestOutputHelper output) : IClassFixture<RedisServer>
{
    private const string ApiKey = "restart-portal-key-0123456789abcdef";
    private const int Documents = 10;

    [Fact]
    public async Task Every_accepted_document_ends_final_when_the_runtime_is_killed_mid_pipeline_and_started_again()
    {
        using var blobs = new TempDirectory("restart-blobs");
        // The restart finds its search index where the first app left it, as the blob folder.
        using var searchIndex = new TempDirectory("restart-search");
        // One CPU slot: the pipeline falls behind the uploads, so runs are under way when the runtime stops.
        var settings = new Dictionary<string, string> { ["DocumentApi:Pipeline:MaxConcurrentCpuActivities"] = "1" };
        var ids = new List<string>();
        int inFlightAtKill;
        await using (var environment = await StartEnvironmentAsync(blobs.Path, keepData: false))
        {
            var sidecar = await environment.StartSidecarAsync(DaprNames.AppIds.DocumentApi);
            await using var app = await sidecar.StartDocumentApiAsync<Program>(settings, searchIndexPath: searchIndex.Path);
            using var http = Client(app);
            for (var i = 0; i < Documents; i++)
            {
                ids.Add(await UploadAsync(http, TestCorpus.TextPdf($"Track circuit fault report {i}: signal at Edappally, section {i}.")));
            }
            // Wait until the engine holds runs that have not ended: documents noted in flight by the starter.
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
            do
            {
                inFlightAtKill = InFlight(environment.Redis);
                await Task.Delay(100);
            }
            while (inFlightAtKill == 0 && DateTime.UtcNow < deadline);
            output.WriteLine($"{Documents} accepted, {inFlightAtKill} in flight in the workflow engine when the runtime was killed");
        }

        await using var restarted = await StartEnvironmentAsync(blobs.Path, keepData: true);
        var again = await restarted.StartSidecarAsync(DaprNames.AppIds.DocumentApi);
        await using var second = await again.StartDocumentApiAsync<Program>(settings, searchIndexPath: searchIndex.Path);
        using var reader = Client(second);
        var statuses = new Dictionary<string, string>();
        foreach (var id in ids)
        {
            statuses[id] = await WaitForFinalAsync(reader, id);
        }

        Assert.True(inFlightAtKill > 0, "No run was under way when the runtime stopped: the test proved nothing.");
        Assert.All(statuses.Values, status => Assert.Equal("processed", status));
        // Final records drop their notes: nothing is left for the next start to schedule.
        var settle = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (InFlight(restarted.Redis) > 0 && DateTime.UtcNow < settle)
        {
            await Task.Delay(100);
        }
        Assert.Equal(0, InFlight(restarted.Redis));
    }

    private Task<DaprTestEnvironment> StartEnvironmentAsync(string blobRoot, bool keepData) =>
        DaprTestEnvironment.StartAsync(redis, options =>
        {
            options.KeepRedisData = keepData;
            options.Secrets["document-api-api-keys"] = new Dictionary<string, object> { ["restart"] = ApiKey + ";upload,read" };
            // Blobs outlive the first environment's temp copy, as .data/blobs outlives a local runtime.
            options.MetadataOverrides[DaprNames.Components.BlobStore] = new Dictionary<string, string> { ["rootPath"] = blobRoot };
            options.MetadataOverrides[DaprNames.Components.PubSub] = new Dictionary<string, string> { ["processingTimeout"] = "5s", ["redeliverInterval"] = "1s" };
            options.Log = output.WriteLine;
        });

    // state.redis keeps document-api's keys as "document-api||<key>" (keyPrefix appid).
    private static int InFlight(IConnectionMultiplexer redis) =>
        redis.GetServer(redis.GetEndPoints()[0]).Keys(pattern: "document-api||inflight:*").Count();

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
        form.Add(file, "file", "fault-report.pdf");
        var response = await http.PostAsync("/documents", form);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonObject>())!["documents"]![0]!["documentId"]!.GetValue<string>();
    }

    private static async Task<string> WaitForFinalAsync(HttpClient http, string id)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(120);
        JsonObject? last = null;
        while (DateTime.UtcNow < deadline)
        {
            last = await http.GetFromJsonAsync<JsonObject>($"/documents/{id}");
            if (last?["status"]?.GetValue<string>() is "processed" or "rejected" or "duplicate")
            {
                return last["status"]!.GetValue<string>();
            }
            await Task.Delay(250);
        }
        throw new TimeoutException($"Document {id} did not end final after the runtime restarted: {last?.ToJsonString()}");
    }
}
