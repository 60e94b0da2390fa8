using System.Net;
using System.Text.Json.Nodes;
using Kmrl.DocumentApi.Apis;
using Kmrl.DocumentApi.Extensions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Kmrl.DocumentApi.Tests.Api;

/// <summary>One image, two roles: intake (uploads and reads) and pipeline (subscriptions and the workflow worker).</summary>
public sealed class RoleTests(DocumentApiFactory factory) : IClassFixture<DocumentApiFactory>
{
    [Theory]
    [InlineData("Combined", true)]
    [InlineData("Pipeline", true)]
    [InlineData("Intake", false)]
    public void Only_a_role_that_runs_the_pipeline_registers_the_workflow_worker(string role, bool worker)
    {
        var builder = WebApplication.CreateBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["DocumentApi:Role"] = role });

        builder.AddDocumentProcessing();

        var workers = builder.Services.Where(d => d.ServiceType == typeof(IHostedService)
            && (d.ImplementationType ?? d.ImplementationFactory?.Method.DeclaringType)?.Assembly.GetName().Name?.StartsWith("Dapr.Workflow", StringComparison.Ordinal) == true);
        Assert.Equal(worker, workers.Any());
        // Lost runs are scheduled again once, by the processes that run workflows, not by every intake replica too.
        Assert.Equal(worker, builder.Services.Any(d => d.ServiceType == typeof(IHostedService)
            && d.ImplementationType == typeof(Kmrl.DocumentApi.Pipeline.PipelineReconciler)));
        // Reprocess and dead-letter replay still schedule through the client in every role.
        Assert.Contains(builder.Services, d => d.ServiceType == typeof(global::Dapr.Workflow.DaprWorkflowClient));
    }

    [Fact]
    public async Task The_intake_role_subscribes_to_nothing_and_serves_reads()
    {
        using var intake = factory.WithWebHostBuilder(web => web.UseSetting("DocumentApi:Role", "Intake"));
        using var http = intake.CreateClient();
        http.DefaultRequestHeaders.Authorization = new("Bearer", DocumentApiFactory.ReadKey);

        var subscriptions = JsonNode.Parse(await http.GetStringAsync("/dapr/subscribe"))!.AsArray();
        using var list = await http.GetAsync("/documents");
        using var delivery = await http.PostAsync(DocumentsApi.DiscoveredRoute, new StringContent("{}"));

        Assert.Empty(subscriptions);
        Assert.Equal(HttpStatusCode.OK, list.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, delivery.StatusCode);
    }

    [Fact]
    public async Task The_pipeline_role_subscribes_to_both_lanes_and_serves_no_public_api()
    {
        using var pipeline = factory.WithWebHostBuilder(web => web.UseSetting("DocumentApi:Role", "Pipeline"));
        using var http = pipeline.CreateClient();
        http.DefaultRequestHeaders.Authorization = new("Bearer", DocumentApiFactory.ReadKey);

        var topics = JsonNode.Parse(await http.GetStringAsync("/dapr/subscribe"))!.AsArray().Select(s => s!["topic"]!.GetValue<string>()).ToList();
        using var list = await http.GetAsync("/documents");

        Assert.Contains(Kmrl.Contracts.DaprNames.Topics.DocumentDiscovered, topics);
        Assert.Contains(Kmrl.Contracts.DaprNames.Topics.DocumentDiscoveredBulk, topics);
        Assert.Equal(HttpStatusCode.NotFound, list.StatusCode);
    }
}
