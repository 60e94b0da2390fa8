using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Dapr.Workflow;
using Kmrl.Contracts;
using Kmrl.Dapr.Testing;
using Kmrl.DocumentApi.Adapters;
using Kmrl.DocumentApi.Ports;
using Kmrl.Testing.Servers;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kmrl.DocumentApi.Tests.EndToEnd;

/// <summary>
/// The workflow adapter and document-api's run path on the Dapr sidecar double, which answers as daprd does: no
/// custom status or failure without inputs and outputs, an active id refused with Unknown, a finished id recreated,
/// no GetInstanceHistory before runtime 1.17.
/// </summary>
public sealed class WorkflowRuntimeTests(RedisServer redis) : IClassFixture<RedisServer>
{
    private const string ApiKey = "wf-portal-key-0123456789abcdef";

    // Registered as a function: a Workflow subclass here would make Dapr.Workflow's generator emit a registry that
    // clashes with document-api's.
    private const string StageProbeWorkflow = "StageProbeWorkflow";

    /// <summary>Sets a stage as the processing workflow does, then waits; "fail" makes it fail.</summary>
    private static async Task<string> StageProbeAsync(WorkflowContext context, string input)
    {
        context.SetCustomStatus(Stages.Extract);
        var go = await context.WaitForExternalEventAsync<string>("go", TimeSpan.FromSeconds(60));
        return go == "fail" ? throw new InvalidOperationException("OCR engine crashed on page 2") : input;
    }

    [Fact]
    public async Task The_adapter_reads_a_running_documents_stage_and_a_failed_runs_failure()
    {
        await using var host = await ProbeHost.StartAsync(redis);
        await host.Client.ScheduleNewWorkflowAsync(StageProbeWorkflow, "doc-stage", "x");
        await host.Client.ScheduleNewWorkflowAsync(StageProbeWorkflow, "doc-failed", "x");
        await host.Client.RaiseEventAsync("doc-failed", "go", "fail");
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await host.Client.WaitForWorkflowCompletionAsync("doc-failed", cancellation: timeout.Token);

        var running = await host.Workflows.GetStateAsync("doc-stage", CancellationToken.None);
        var failed = await host.Workflows.GetStateAsync("doc-failed", CancellationToken.None);

        Assert.Equal(("Running", Stages.Extract), (running.RuntimeStatus, running.CustomStatus));
        Assert.Equal("Failed", failed.RuntimeStatus);
        Assert.Contains("OCR engine crashed on page 2", failed.Failure);
    }

    [Fact]
    public async Task A_second_schedule_of_a_running_id_is_reported_as_refused_and_history_is_null_on_runtime_1_16()
    {
        await using var host = await ProbeHost.StartAsync(redis, new Version(1, 16));
        var intake = new DocumentIntake("doc-twice", "k", DocumentSources.Upload, "s", "a.pdf", "application/pdf", 1, "00",
            new BlobReference("b", 1, "00", 1, 1), new Dictionary<string, string>(), DateTimeOffset.UnixEpoch);
        await host.Client.ScheduleNewWorkflowAsync(StageProbeWorkflow, "doc-twice", "x");

        var again = await host.Workflows.TryScheduleAsync("doc-twice", intake, CancellationToken.None);
        var history = await host.Workflows.GetHistoryAsync("doc-twice", CancellationToken.None);

        Assert.False(again);
        Assert.Null(history);
    }

    [Fact]
    public async Task Events_on_a_1_16_runtime_answer_the_runs_without_events()
    {
        await using var environment = await StartEnvironmentAsync(new Version(1, 16));
        var sidecar = await environment.StartSidecarAsync(DaprNames.AppIds.DocumentApi);
        await using var app = await sidecar.StartDocumentApiAsync<Program>();
        using var http = Client(app.ClientOptions.BaseAddress);
        var id = await UploadAsync(http, TestCorpus.TextPdf("Depot circular 9: lifts at Aluva are closed on Sunday."), "circular-9.pdf");
        await WaitForStatusAsync(http, id, "processed");

        // The catalog says "processed" from the last activity, a moment before the run itself completes.
        HttpResponseMessage response;
        JsonObject? events;
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        do
        {
            response = await http.GetAsync($"/documents/{id}/events");
            events = await response.Content.ReadFromJsonAsync<JsonObject>();
        }
        while (response.IsSuccessStatusCode && (string?)events?["runs"]?.AsArray().FirstOrDefault()?["runtimeStatus"] != "Completed"
            && DateTime.UtcNow < deadline && await Delay());

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var run = Assert.Single(events!["runs"]!.AsArray());
        Assert.Equal(id, (string?)run!["run"]);
        Assert.Equal("Completed", (string?)run["runtimeStatus"]);
        Assert.Equal("processed", (string?)run["stage"]);
        Assert.Empty(events["events"]!.AsArray());
        Assert.False((bool)events["historyAvailable"]!);
    }

    [Fact]
    public async Task A_redelivered_discovery_of_a_processed_document_whose_run_was_purged_does_not_run_it_again()
    {
        await using var environment = await StartEnvironmentAsync(null);
        var sidecar = await environment.StartSidecarAsync(DaprNames.AppIds.DocumentApi);
        await using var app = await sidecar.StartDocumentApiAsync<Program>();
        using var http = Client(app.ClientOptions.BaseAddress);
        var id = await UploadAsync(http, TestCorpus.TextPdf("Tender notice 31 for platform screen doors at Vyttila."), "tender-31.pdf");
        await WaitForStatusAsync(http, id, "processed");
        var events = await http.GetFromJsonAsync<JsonObject>($"/documents/{id}/events");
        var record = (await app.Services.GetRequiredService<ICatalog>().GetAsync(id, CancellationToken.None))!;
        var origin = record.Provenance.Single();
        var discovered = new DocumentDiscovered(IdempotencyKey.For(origin.Source, origin.SourceId, record.Sha256), origin.Source, origin.SourceId,
            record.FileName, record.ContentType, record.Size, record.Sha256, record.Blob, origin.Metadata, origin.ReceivedAt);
        // What a retention policy does to a finished run; Dapr would then start the id afresh.
        var client = app.Services.GetRequiredService<DaprWorkflowClient>();
        // The record is final a moment before the run itself completes, and only a completed run can be purged.
        using (var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30)))
        {
            await client.WaitForWorkflowCompletionAsync(id, cancellation: timeout.Token);
        }
        Assert.True(await client.PurgeInstanceAsync(id));

        using (var dapr = sidecar.CreateClient())
        {
            await dapr.PublishEventAsync(DaprNames.Components.PubSub, DaprNames.Topics.DocumentDiscovered, discovered);
        }
        await WaitForDeliveryAsync(sidecar, DaprNames.Topics.DocumentDiscovered);

        Assert.Equal(id, DocumentIntake.DocumentIdFor(discovered.IdempotencyKey));
        Assert.NotEmpty(events!["events"]!.AsArray());
        Assert.False((await client.GetWorkflowStateAsync(id)).Exists);
        Assert.Single(await environment.PublishedAsync(DaprNames.Topics.DocumentProcessed));
    }

    private Task<DaprTestEnvironment> StartEnvironmentAsync(Version? runtimeVersion) =>
        DaprTestEnvironment.StartAsync(redis, options =>
        {
            options.RuntimeVersion = runtimeVersion ?? options.RuntimeVersion;
            options.Secrets["document-api-api-keys"] = new Dictionary<string, object> { ["wf"] = ApiKey + ";upload,read" };
        });

    private static HttpClient Client(Uri? address)
    {
        var http = new HttpClient { BaseAddress = address };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", ApiKey);
        return http;
    }

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

    private static async Task WaitForStatusAsync(HttpClient http, string id, string status)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(90);
        JsonObject? last = null;
        while (DateTime.UtcNow < deadline)
        {
            last = await http.GetFromJsonAsync<JsonObject>($"/documents/{id}");
            if (string.Equals(last?["status"]?.GetValue<string>(), status, StringComparison.OrdinalIgnoreCase))
            {
                return;
            }
            await Task.Delay(200);
        }
        throw new TimeoutException($"Document {id} did not reach '{status}': {last?.ToJsonString()}");
    }

    private static async Task WaitForDeliveryAsync(DaprSidecar sidecar, string topic)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!sidecar.Deliveries.Any(d => d.Topic == topic && d.Outcome == Kmrl.Dapr.Testing.PubSub.DeliveryOutcome.Success))
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"No successful delivery on {topic}.");
            await Task.Delay(50);
        }
    }

    /// <summary>A worker with the probe workflow and the production adapter over its client, on the double.</summary>
    private sealed class ProbeHost : IAsyncDisposable
    {
        private DaprTestEnvironment _environment = null!;
        private WebApplication _app = null!;

        public DaprWorkflowClient Client { get; private set; } = null!;

        public DaprDocumentWorkflows Workflows { get; private set; } = null!;

        public static async Task<ProbeHost> StartAsync(RedisServer redis, Version? runtimeVersion = null)
        {
            var host = new ProbeHost();
            host._environment = await DaprTestEnvironment.StartAsync(redis, options => options.RuntimeVersion = runtimeVersion ?? options.RuntimeVersion);
            var sidecar = await host._environment.StartSidecarAsync(DaprNames.AppIds.DocumentApi);
            var builder = WebApplication.CreateBuilder();
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            builder.Configuration.AddInMemoryCollection(sidecar.AppConfiguration);
            builder.Services.AddDaprWorkflow(options => options.RegisterWorkflow<string, string>(StageProbeWorkflow, StageProbeAsync));
            host._app = builder.Build();
            await host._app.StartAsync();
            host.Client = host._app.Services.GetRequiredService<DaprWorkflowClient>();
            host.Workflows = new DaprDocumentWorkflows(host.Client, NullLogger<DaprDocumentWorkflows>.Instance);
            return host;
        }

        public async ValueTask DisposeAsync()
        {
            await _app.DisposeAsync();
            await _environment.DisposeAsync();
        }
    }

    private static async Task<bool> Delay()
    {
        await Task.Delay(100);
        return true;
    }
}
