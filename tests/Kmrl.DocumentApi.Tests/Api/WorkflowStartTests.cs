using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Kmrl.ClaimCheck;
using Kmrl.Contracts;
using Kmrl.DocumentApi.Apis;
using Kmrl.DocumentApi.Ports;
using Kmrl.ServiceDefaults;
using Microsoft.Extensions.DependencyInjection;

namespace Kmrl.DocumentApi.Tests.Api;

/// <summary>When document-api starts a workflow, and what it shows of runs, with the runtime faked.</summary>
public sealed class WorkflowStartTests(DocumentApiFactory factory) : IClassFixture<DocumentApiFactory>
{
    private IDocumentContentStore Store => factory.Services.GetRequiredService<IDocumentContentStore>();
    private ICatalog Catalog => factory.Services.GetRequiredService<ICatalog>();

    [Theory]
    [InlineData(DocumentStatus.Processed)]
    [InlineData(DocumentStatus.Rejected)]
    [InlineData(DocumentStatus.Duplicate)]
    public async Task A_redelivered_discovery_of_a_finished_document_does_not_run_it_again_when_its_run_is_gone(DocumentStatus status)
    {
        // Dapr starts a finished (or purged) id afresh, so only the catalog knows this arrival was handled.
        var (discovered, intake) = await DiscoveredAsync("wamid.FINISHED." + status);
        await Catalog.SaveAsync(DeduplicateRecord(intake, status), CancellationToken.None);
        var before = factory.Workflows.ScheduleCalls;

        var response = await factory.CreateClient().SendAsync(CloudEvent(DocumentsApi.DiscoveredRoute, discovered));

        Assert.Equal("SUCCESS", (string?)(await response.Content.ReadFromJsonAsync<JsonObject>())!["status"]);
        Assert.False(factory.Workflows.Instances.ContainsKey(intake.DocumentId));
        Assert.Equal(before, factory.Workflows.ScheduleCalls);
    }

    [Fact]
    public async Task A_discovery_whose_record_is_still_processing_and_has_no_run_is_started()
    {
        var (discovered, intake) = await DiscoveredAsync("wamid.STARTED-BEFORE");
        await Catalog.SaveAsync(DeduplicateRecord(intake, DocumentStatus.Processing), CancellationToken.None);

        await factory.CreateClient().SendAsync(CloudEvent(DocumentsApi.DiscoveredRoute, discovered));

        Assert.True(factory.Workflows.Instances.ContainsKey(intake.DocumentId));
    }

    [Fact]
    public async Task Events_on_a_runtime_without_instance_history_list_the_runs_without_events()
    {
        var (discovered, intake) = await DiscoveredAsync("wamid.OLD-RUNTIME");
        await factory.CreateClient().SendAsync(CloudEvent(DocumentsApi.DiscoveredRoute, discovered));
        factory.Workflows.HistoryUnavailable = true;
        try
        {
            var response = await factory.ClientWith(DocumentApiFactory.ReadKey).GetAsync($"/documents/{intake.DocumentId}/events");
            var events = (await response.Content.ReadFromJsonAsync<DocumentEventsView>(KmrlJson.Options))!;

            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal([intake.DocumentId], events.Runs.Select(r => r.Run));
            Assert.Empty(events.Events);
            Assert.False(events.HistoryAvailable);
        }
        finally
        {
            factory.Workflows.HistoryUnavailable = false;
        }
    }

    private static DocumentRecord DeduplicateRecord(DocumentIntake intake, DocumentStatus status) =>
        Kmrl.DocumentApi.Activities.DeduplicateDocumentActivity.NewRecord(intake, status, DateTimeOffset.UtcNow);

    private async Task<(DocumentDiscovered Discovered, DocumentIntake Intake)> DiscoveredAsync(string sourceId)
    {
        var intake = await Intakes.StoreAsync(Store, Encoding.UTF8.GetBytes("notice " + sourceId), "notice.txt", "text/plain", DocumentSources.WhatsApp, sourceId);
        var discovered = new DocumentDiscovered(intake.IdempotencyKey, intake.Source, intake.SourceId, intake.FileName, intake.DeclaredContentType,
            intake.Size, intake.Sha256, intake.Blob, new Dictionary<string, string>(), intake.ReceivedAt);
        return (discovered, intake);
    }

    /// <summary>What daprd posts for a subscription: a CloudEvent envelope with the app token.</summary>
    private static HttpRequestMessage CloudEvent<T>(string route, T data)
    {
        var envelope = new JsonObject
        {
            ["specversion"] = "1.0",
            ["type"] = "com.dapr.event.sent",
            ["source"] = "whatsapp-connector",
            ["id"] = Guid.NewGuid().ToString(),
            ["datacontenttype"] = "application/json",
            ["data"] = JsonSerializer.SerializeToNode(data, KmrlJson.Options),
        };
        var request = new HttpRequestMessage(HttpMethod.Post, route)
        {
            Content = new StringContent(envelope.ToJsonString(), Encoding.UTF8, "application/cloudevents+json"),
        };
        request.Headers.Add("dapr-api-token", DocumentApiFactory.SidecarToken);
        return request;
    }
}
