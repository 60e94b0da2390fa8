using System.Diagnostics.Metrics;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Kmrl.Contracts;
using Kmrl.DocumentApi.Apis;
using Kmrl.DocumentApi.Pipeline;
using Kmrl.DocumentApi.Ports;
using Kmrl.ServiceDefaults;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace Kmrl.DocumentApi.Tests.Api;

/// <summary>The backlog a user sees: /health turns Degraded past the configured depth, and a gauge carries the depth.</summary>
public sealed class PipelineBacklogTests : IDisposable
{
    private const int DegradedDepth = 2;
    private readonly DocumentApiFactory _factory = new();
    private readonly Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactory<Program> _app;

    public PipelineBacklogTests()
    {
        _app = _factory.WithWebHostBuilder(builder => builder.UseSetting("DocumentApi:Pipeline:BacklogDegradedDepth", DegradedDepth.ToString(System.Globalization.CultureInfo.InvariantCulture)));
    }

    public void Dispose()
    {
        _app.Dispose();
        _factory.Dispose();
    }

    [Fact]
    public async Task Health_is_degraded_with_the_depth_once_more_documents_wait_than_the_configured_depth_and_recovers_as_they_finish()
    {
        var ids = new List<string>();
        for (var i = 0; i < DegradedDepth; i++) ids.Add(await UploadAsync($"note {i}"));
        var atDepth = await BacklogCheckAsync();
        ids.Add(await UploadAsync("one too many"));
        var past = await BacklogCheckAsync();

        // Each document leaves the backlog when the workflow saves its final record.
        var catalog = _app.Services.GetRequiredService<ICatalog>();
        foreach (var id in ids.Take(2))
        {
            await catalog.SaveAsync(FinalRecord(id), CancellationToken.None);
        }
        var after = await BacklogCheckAsync();

        Assert.Equal("Healthy", (string?)atDepth["status"]);
        Assert.Equal(DegradedDepth, (int?)atDepth["data"]!["depth"]);
        Assert.Equal("Degraded", (string?)past["status"]);
        Assert.Equal(DegradedDepth + 1, (int?)past["data"]!["depth"]);
        Assert.Equal(DegradedDepth, (int?)past["data"]!["degradedDepth"]);
        Assert.Equal("Healthy", (string?)after["status"]);
        Assert.Equal(1, (int?)after["data"]!["depth"]);
    }

    [Fact]
    public async Task The_backlog_gauge_of_the_document_api_meter_reports_the_depth()
    {
        await UploadAsync("measured one");
        await UploadAsync("measured two");
        var backlog = _app.Services.GetRequiredService<PipelineBacklog>();
        long? observed = null;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == PipelineBacklog.MeterName && instrument.Name == PipelineBacklog.GaugeName) l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<long>((_, value, _, _) => observed = value);
        listener.Start();

        listener.RecordObservableInstruments();

        Assert.Equal(2, backlog.Depth);
        Assert.Equal(2L, observed);
    }

    [Fact]
    public async Task A_redelivered_discovery_of_an_accepted_upload_counts_once_and_one_already_final_leaves_the_backlog()
    {
        var id = await UploadAsync("delivered twice");
        var discovered = _factory.Events.On<DocumentDiscovered>(DaprNames.Topics.DocumentDiscovered).Single(d => DocumentIntake.DocumentIdFor(d.IdempotencyKey) == id);
        var starter = _app.Services.GetRequiredService<Kmrl.DocumentApi.Workflows.DocumentWorkflowStarter>();
        var backlog = _app.Services.GetRequiredService<PipelineBacklog>();

        await starter.StartAsync(DocumentIntake.FromDiscovered(discovered), null, CancellationToken.None);
        await starter.StartAsync(DocumentIntake.FromDiscovered(discovered), null, CancellationToken.None);
        var whileRunning = backlog.Depth;
        // A final record written by another replica: the next delivery finds it and closes the document here.
        await _app.Services.GetRequiredService<Kmrl.DocumentApi.Adapters.StateStoreCatalog>().SaveAsync(FinalRecord(id), CancellationToken.None);
        await starter.StartAsync(DocumentIntake.FromDiscovered(discovered), null, CancellationToken.None);

        Assert.Equal(1, whileRunning);
        Assert.Equal(0, backlog.Depth);
    }

    private async Task<string> UploadAsync(string text)
    {
        using var form = new MultipartFormDataContent();
        var file = new ByteArrayContent(System.Text.Encoding.UTF8.GetBytes(text));
        file.Headers.ContentType = MediaTypeHeaderValue.Parse("text/plain");
        form.Add(file, "file", "note.txt");
        var client = _app.CreateClient();
        client.DefaultRequestHeaders.Authorization = new("Bearer", DocumentApiFactory.UploadKey);
        var response = await client.PostAsync("/documents", form);
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<UploadResponse>(KmrlJson.Options))!.Documents[0].DocumentId;
    }

    private async Task<JsonObject> BacklogCheckAsync()
    {
        // The whole report (a caller with a key sees the checks): the sidecar check is unhealthy here (no sidecar),
        // so only the backlog entry is judged.
        using var client = _app.CreateClient();
        client.DefaultRequestHeaders.Authorization = new("Bearer", DocumentApiFactory.ReadKey);
        using var response = await client.GetAsync("/health");
        var report = await response.Content.ReadFromJsonAsync<JsonObject>();
        return report!["checks"]!["pipeline-backlog"]!.AsObject();
    }

    private DocumentRecord FinalRecord(string id)
    {
        var now = DateTimeOffset.UtcNow;
        var blob = new BlobReference("k-" + id, 4, new string('a', 64), 1, 16384);
        return new DocumentRecord
        {
            DocumentId = id, Sha256 = new string('b', 63) + id[^1], FileName = "note.txt", ContentType = "text/plain", Size = 4, Blob = blob,
            Status = DocumentStatus.Processed, Provenance = [], CreatedAt = now, UpdatedAt = now,
        };
    }
}
