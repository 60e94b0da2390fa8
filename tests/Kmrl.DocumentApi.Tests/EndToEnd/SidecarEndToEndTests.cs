using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Kmrl.Contracts;
using Kmrl.Dapr.Testing;
using Kmrl.Testing.Documents;
using Kmrl.Testing.Servers;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Kmrl.DocumentApi.Tests.EndToEnd;

/// <summary>
/// document-api's production Program.cs on the Dapr test sidecar: real Redis state and streams, the blob binding,
/// the secret store for API keys, and the unmodified Dapr.Workflow worker running the processing workflow.
/// </summary>
public sealed class SidecarEndToEndTests(RedisServer redis) : IClassFixture<RedisServer>
{
    private const string ApiKey = "e2e-portal-key-0123456789abcdef";

    [Fact]
    public async Task An_upload_is_processed_by_the_workflow_and_the_same_file_again_adds_a_provenance()
    {
        await using var environment = await StartEnvironmentAsync();
        var sidecar = await environment.StartSidecarAsync(DaprNames.AppIds.DocumentApi);
        await using var app = await sidecar.StartDocumentApiAsync<Program>();
        using var http = new HttpClient { BaseAddress = app.ClientOptions.BaseAddress };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", ApiKey);
        var invoice = TestCorpus.TextPdf(
            "TAX INVOICE\nInvoice No: VEN/2026/118\nEscalator maintenance at Edappally and Kaloor stations for October 2026.",
            "Amount payable: Rs. 1,18,000 against PO 4500012345.\nPayment is due on or before 05/12/2026.");

        var first = await UploadAsync(http, invoice, "invoice-118.pdf");
        var record = await WaitForStatusAsync(http, first, "processed");
        var second = await UploadAsync(http, invoice, "invoice-118-copy.pdf");
        var duplicate = await WaitForStatusAsync(http, second, "duplicate");
        var original = await http.GetFromJsonAsync<JsonObject>($"/documents/{first}");
        var text = await http.GetStringAsync($"/documents/{first}/text");
        var routed = await environment.WaitForPublishedAsync(DaprNames.Topics.ForDepartment("finance"), 1);

        Assert.Equal("invoice", record["documentType"]!.GetValue<string>());
        Assert.Contains("finance", record["departments"]!.AsArray().Select(d => d!.GetValue<string>()));
        Assert.Equal("en", record["language"]!.GetValue<string>());
        Assert.False(string.IsNullOrWhiteSpace(record["summary"]!.GetValue<string>()));
        Assert.Contains("Edappally", text);
        Assert.Equal(first, duplicate["duplicateOf"]!.GetValue<string>());
        Assert.Equal(2, original!["provenance"]!.AsArray().Count);
        Assert.Single(routed);
        Assert.Single(await environment.PublishedAsync(DaprNames.Topics.DocumentProcessed));
    }

    [Fact]
    public async Task A_scanned_malayalam_circular_is_ocrd_and_routed_to_a_safety_subscriber_and_a_corrupt_file_is_rejected()
    {
        await using var environment = await StartEnvironmentAsync();
        var sidecar = await environment.StartSidecarAsync(DaprNames.AppIds.DocumentApi);
        await using var app = await sidecar.StartDocumentApiAsync<Program>();

        // The safety department's own app, subscribed to its routing topic through its own sidecar.
        var received = new TaskCompletionSource<DocumentRouted>();
        var subscriberSidecar = await environment.StartSidecarAsync(DaprNames.AppIds.EmailConnector);
        var subscriberBuilder = Microsoft.AspNetCore.Builder.WebApplication.CreateSlimBuilder();
        subscriberBuilder.WebHost.UseUrls("http://127.0.0.1:0");
        await using var subscriber = subscriberBuilder.Build();
        subscriber.MapGet("/dapr/subscribe", () => Microsoft.AspNetCore.Http.Results.Json(new[]
        {
            new { pubsubname = DaprNames.Components.PubSub, topic = DaprNames.Topics.ForDepartment("safety"), route = "/safety" },
        }));
        subscriber.MapPost("/safety", async (Microsoft.AspNetCore.Http.HttpRequest request) =>
        {
            using var envelope = await JsonDocument.ParseAsync(request.Body);
            received.TrySetResult(envelope.RootElement.GetProperty("data").Deserialize<DocumentRouted>(Kmrl.ServiceDefaults.KmrlJson.Options)!);
            return Microsoft.AspNetCore.Http.Results.Ok();
        });
        await subscriber.StartAsync();
        await subscriberSidecar.AttachAppAsync(new Uri(subscriber.Urls.First()));

        using var http = new HttpClient { BaseAddress = app.ClientOptions.BaseAddress };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", ApiKey);
        var tiff = await TestCorpus.RenderScanTiffAsync(
            "സുരക്ഷാ സർക്കുലർ\nഎല്ലാ ജീവനക്കാരും ആലുവ സ്റ്റേഷനിൽ ജാഗ്രത പാലിക്കണം", "Noto Sans Malayalam");
        var circular = await UploadAsync(http, TestCorpus.ScannedPdf(tiff), "circular-scan.pdf");
        var broken = await UploadAsync(http, "%PDF-1.7\n1 0 obj << /Type /Catalog /Pages 9 0 R >>\nnot a PDF body\n"u8.ToArray(), "broken.pdf");

        var record = await WaitForStatusAsync(http, circular, "processed");
        var rejected = await WaitForStatusAsync(http, broken, "rejected");
        var routed = await received.Task.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal("ml", record["language"]!.GetValue<string>());
        Assert.Equal("safety-circular", record["documentType"]!.GetValue<string>());
        Assert.Contains(record["evidence"]!.AsArray(), e => e!.GetValue<string>().Contains("സർക്കുലർ", StringComparison.Ordinal));
        Assert.Equal(circular, routed.DocumentId);
        Assert.Equal("safety", routed.Department);
        Assert.False(string.IsNullOrWhiteSpace(rejected["rejection"]!["reason"]!.GetValue<string>()));
        Assert.Single(await environment.WaitForPublishedAsync(DaprNames.Topics.DocumentRejected, 1));
    }

    [Fact]
    public async Task Each_document_api_a_test_starts_gets_a_search_index_of_its_own_that_goes_when_it_stops()
    {
        await using var environment = await StartEnvironmentAsync();
        var sidecar = await environment.StartSidecarAsync(DaprNames.AppIds.DocumentApi);
        string first, second;

        await using (var app = await sidecar.StartDocumentApiAsync<Program>())
        {
            first = IndexPath(app);
            Assert.True(Directory.Exists(first));
        }
        await using (var app = await sidecar.StartDocumentApiAsync<Program>())
        {
            second = IndexPath(app);
        }

        // The default (.data/search under the working directory) is one folder for every host in the test process,
        // and a second Lucene writer on it fails to take the index lock.
        Assert.StartsWith(Path.GetTempPath(), first, StringComparison.Ordinal);
        Assert.NotEqual(first, second);
        Assert.False(Directory.Exists(first));
        Assert.False(Directory.Exists(second));
    }

    private static string IndexPath(WebApplicationFactory<Program> app) =>
        app.Services.GetRequiredService<IOptions<Kmrl.Search.Lucene.LuceneSearchOptions>>().Value.IndexPath;

    private Task<DaprTestEnvironment> StartEnvironmentAsync() =>
        DaprTestEnvironment.StartAsync(redis, options =>
            options.Secrets["document-api-api-keys"] = new Dictionary<string, object> { ["e2e"] = ApiKey + ";upload,read" });

    private static async Task<string> UploadAsync(HttpClient http, byte[] pdf, string name)
    {
        using var form = new MultipartFormDataContent();
        var file = new ByteArrayContent(pdf);
        file.Headers.ContentType = MediaTypeHeaderValue.Parse("application/pdf");
        form.Add(file, "file", name);
        var response = await http.PostAsync("/documents", form);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonObject>();
        return body!["documents"]![0]!["documentId"]!.GetValue<string>();
    }

    private static async Task<JsonObject> WaitForStatusAsync(HttpClient http, string id, string status)
    {
        // A scan is OCRd and then archived by one more ocrmypdf pass: minutes when the other suites OCR beside it.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(180);
        JsonObject? last = null;
        while (DateTime.UtcNow < deadline)
        {
            last = await http.GetFromJsonAsync<JsonObject>($"/documents/{id}");
            if (string.Equals(last?["status"]?.GetValue<string>(), status, StringComparison.OrdinalIgnoreCase))
            {
                return last!;
            }
            await Task.Delay(200);
        }
        throw new TimeoutException($"Document {id} did not reach '{status}': {last?.ToJsonString()}");
    }
}
