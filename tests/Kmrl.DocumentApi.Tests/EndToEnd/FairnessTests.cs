using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Kmrl.ClaimCheck;
using Kmrl.Contracts;
using Kmrl.Dapr.Testing;
using Kmrl.DocumentApi.Model;
using Kmrl.Testing.Servers;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace Kmrl.DocumentApi.Tests.EndToEnd;

/// <summary>
/// Fairness on the Dapr test sidecar with the production Program: an import queued on the bulk topic, then an upload.
/// The upload is processed while most of the import still waits, and the import drains afterwards.
/// </summary>
public sealed class FairnessTests(RedisServer redis, ITestOutputHelper output) : IClassFixture<RedisServer>
{
    private const string ApiKey = "fairness-portal-key-0123456789abcdef";
    private const int BulkDocuments = 40;
    private const int BulkInFlight = 2;

    [Fact]
    public async Task An_upload_after_a_queued_import_is_processed_before_the_import_drains_and_behind_a_bounded_number_of_it()
    {
        await using var environment = await DaprTestEnvironment.StartAsync(redis, options =>
        {
            options.Secrets["document-api-api-keys"] = new Dictionary<string, object> { ["fair"] = ApiKey + ";upload,read" };
            options.Log = output.WriteLine;
        });
        var sidecar = await environment.StartSidecarAsync(DaprNames.AppIds.DocumentApi);
        await using var app = await sidecar.StartDocumentApiAsync<Program>(new Dictionary<string, string>
        {
            ["DocumentApi:Pipeline:MaxConcurrentCpuActivities"] = "1",
            ["DocumentApi:Pipeline:MaxBulkInFlight"] = BulkInFlight.ToString(System.Globalization.CultureInfo.InvariantCulture),
        });
        using var http = new HttpClient { BaseAddress = app.ClientOptions.BaseAddress };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", ApiKey);

        // The import: what a connector publishes after a run's first few documents.
        var store = app.Services.GetRequiredService<IDocumentContentStore>();
        using var dapr = sidecar.CreateClient();
        var bulkIds = new List<string>();
        for (var i = 0; i < BulkDocuments; i++)
        {
            var pdf = TestCorpus.TextPdf($"Export {i}: bogie inspection record for trainset TS-{i % 25:D2}, depot Muttom.");
            var blob = await store.WriteAsync($"bulk-{i}", new MemoryStream(pdf), CancellationToken.None);
            var sourceId = $"exports/WO-{i:D5}.pdf";
            var key = IdempotencyKey.For(DocumentSources.MaximoExport, sourceId, blob.Sha256);
            bulkIds.Add(DocumentIntake.DocumentIdFor(key));
            await dapr.PublishEventAsync(DaprNames.Components.PubSub, DaprNames.Topics.DocumentDiscoveredBulk,
                new DocumentDiscovered(key, DocumentSources.MaximoExport, sourceId, $"WO-{i:D5}.pdf", "application/pdf", blob.Size, blob.Sha256,
                    blob, new Dictionary<string, string>(), DateTimeOffset.UtcNow));
        }
        await Task.Delay(TimeSpan.FromSeconds(1));

        var finalBefore = await CountProcessedAsync(environment, bulkIds);
        var clock = Stopwatch.StartNew();
        var uploadId = await UploadAsync(http, TestCorpus.TextPdf("Circular: platform screen door maintenance window at Aluva, Sunday 02:00."));
        await WaitForFinalAsync(http, uploadId, TimeSpan.FromSeconds(120));
        var uploadTime = clock.Elapsed;
        var finalAtUpload = await CountProcessedAsync(environment, bulkIds);
        output.WriteLine($"bulk final before the upload: {finalBefore}, when the upload was final: {finalAtUpload} of {BulkDocuments}; upload took {uploadTime.TotalSeconds:F1} s");

        foreach (var id in bulkIds)
        {
            await WaitForFinalAsync(http, id, TimeSpan.FromSeconds(180));
        }

        Assert.True(finalAtUpload < BulkDocuments, "the import had drained before the upload was processed");
        // Behind the upload: the bulk runs in the engine when it arrived, plus the few admitted and finished beside it
        // while it was processed (two at a time). In one queue it would have waited for all 40.
        Assert.InRange(finalAtUpload - finalBefore, 0, BulkDocuments / 3);
    }

    /// <summary>One read of the document-processed stream: a count taken at one instant, not over many GETs.</summary>
    private static async Task<int> CountProcessedAsync(DaprTestEnvironment environment, IReadOnlyList<string> ids)
    {
        var processed = await environment.PublishedAsync(DaprNames.Topics.DocumentProcessed);
        return processed.Select(e => e.GetProperty("data").GetProperty("documentId").GetString()).Distinct().Count(ids.Contains);
    }

    private static async Task<string> UploadAsync(HttpClient http, byte[] pdf)
    {
        using var form = new MultipartFormDataContent();
        var file = new ByteArrayContent(pdf);
        file.Headers.ContentType = MediaTypeHeaderValue.Parse("application/pdf");
        form.Add(file, "file", "circular.pdf");
        var response = await http.PostAsync("/documents", form);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonObject>())!["documents"]![0]!["documentId"]!.GetValue<string>();
    }

    private static bool IsFinal(JsonObject? document) =>
        document?["status"]?.GetValue<string>() is "processed" or "rejected" or "duplicate";

    private static async Task WaitForFinalAsync(HttpClient http, string id, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            var response = await http.GetAsync($"/documents/{id}");
            if (response.StatusCode == HttpStatusCode.OK && IsFinal(await response.Content.ReadFromJsonAsync<JsonObject>()))
            {
                return;
            }
            await Task.Delay(200);
        }
        throw new TimeoutException($"Document {id} did not end final within {timeout}.");
    }
}
