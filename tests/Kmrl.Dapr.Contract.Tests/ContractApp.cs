using System.Collections.Concurrent;
using System.Text.Json;
using Dapr;
using Dapr.Workflow;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Kmrl.Dapr.Contract.Tests;

/// <summary>The app next to the sidecar: a subscriber that DROPs, its dead-letter subscriber, and a workflow worker.</summary>
public sealed class ContractApp
{
    public const string PubSub = "pubsub";
    public const string DropTopic = "contract-drop";
    public const string DeadLetterTopic = "contract-drop-deadletter";

    /// <summary>The data of every event the dead-letter route received, as JSON text.</summary>
    public ConcurrentQueue<string> DeadLetters { get; } = new();

    public ConcurrentQueue<string> Dropped { get; } = new();

    public WebApplication Build(string grpcEndpoint, string httpEndpoint, int port)
    {
        var builder = WebApplication.CreateBuilder();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        builder.Logging.ClearProviders();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["DAPR_GRPC_ENDPOINT"] = grpcEndpoint,
            ["DAPR_HTTP_ENDPOINT"] = httpEndpoint,
        });
        builder.Services.AddDaprClient();
        builder.Services.AddDaprWorkflow(options =>
        {
            options.RegisterWorkflow<StatusThenFailWorkflow>();
            options.RegisterActivity<FailingActivity>();
        });
        var app = builder.Build();
        app.UseCloudEvents();
        app.MapSubscribeHandler();
        app.MapPost("/drop", (JsonElement data) =>
        {
            Dropped.Enqueue(data.GetRawText());
            return Results.Json(new { status = "DROP" });
        }).WithTopic(new TopicOptions { PubsubName = PubSub, Name = DropTopic, DeadLetterTopic = DeadLetterTopic });
        app.MapPost("/dead", (JsonElement data) =>
        {
            DeadLetters.Enqueue(data.GetRawText());
            return Results.Ok();
        }).WithTopic(PubSub, DeadLetterTopic);
        return app;
    }
}

/// <summary>Sets a custom status, then fails in an activity: both must be readable afterwards.</summary>
public sealed class StatusThenFailWorkflow : Workflow<string, string>
{
    public const string Status = "stage: checked";

    public override async Task<string> RunAsync(WorkflowContext context, string input)
    {
        context.SetCustomStatus(Status);
        return await context.CallActivityAsync<string>(nameof(FailingActivity), input);
    }
}

public sealed class FailingActivity : WorkflowActivity<string, string>
{
    public const string Message = "contract activity failed on purpose";

    public override Task<string> RunAsync(WorkflowActivityContext context, string input) =>
        throw new InvalidOperationException(Message);
}
