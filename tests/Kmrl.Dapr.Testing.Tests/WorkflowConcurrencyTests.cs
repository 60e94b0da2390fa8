using Dapr.Workflow;
using Kmrl.Testing.Servers;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Kmrl.Dapr.Testing.Tests;

public sealed class OneSlowStepWorkflow : Workflow<string, string>
{
    public override Task<string> RunAsync(WorkflowContext context, string input) =>
        context.CallActivityAsync<string>(nameof(SlowStepActivity), input);
}

/// <summary>Counts how many of its runs overlap.</summary>
public sealed class SlowStepActivity : WorkflowActivity<string, string>
{
    private static int _running;
    public static int MostAtOnce;

    public static void Reset() => (_running, MostAtOnce) = (0, 0);

    public override async Task<string> RunAsync(WorkflowActivityContext context, string input)
    {
        var now = Interlocked.Increment(ref _running);
        int seen;
        while ((seen = Volatile.Read(ref MostAtOnce)) < now && Interlocked.CompareExchange(ref MostAtOnce, now, seen) != seen)
        {
        }
        await Task.Delay(300);
        Interlocked.Decrement(ref _running);
        return input;
    }
}

[Collection(RedisCollection.Name)]
public sealed class WorkflowConcurrencyTests(RedisServer redis)
{
    [Fact]
    public async Task The_sidecar_reads_the_workflow_limits_of_the_configuration_dapr_yaml_names()
    {
        await using var environment = await DaprTestEnvironment.StartAsync(redis);

        var sidecar = await environment.StartSidecarAsync("document-api");

        // The repository's dapr-config/document-api.yaml (document-api's configFilePath).
        Assert.Equal(new Workflow.WorkflowLimits(64, 32), sidecar.WorkflowLimits);
    }

    [Fact]
    public async Task No_more_activities_run_at_once_than_the_configurations_max_concurrent_activity_invocations()
    {
        await using var environment = await DaprTestEnvironment.StartAsync(redis, options =>
            options.EditFile("dapr-config/document-api.yaml", yaml => yaml.Replace("maxConcurrentActivityInvocations: 32", "maxConcurrentActivityInvocations: 2", StringComparison.Ordinal)));
        var sidecar = await environment.StartSidecarAsync("document-api");
        await using var app = WorkflowWorkerApp.Build(sidecar, options =>
        {
            options.RegisterWorkflow<OneSlowStepWorkflow>();
            options.RegisterActivity<SlowStepActivity>();
        });
        await app.StartAsync();
        await sidecar.AttachAppAsync(new Uri(app.Urls.First()));
        var client = app.Services.GetRequiredService<DaprWorkflowClient>();
        SlowStepActivity.Reset();

        var ids = new List<string>();
        for (var i = 0; i < 6; i++)
        {
            ids.Add(await client.ScheduleNewWorkflowAsync(nameof(OneSlowStepWorkflow), $"limit-{i}", $"item-{i}"));
        }
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        foreach (var id in ids)
        {
            var state = await client.WaitForWorkflowCompletionAsync(id, cancellation: timeout.Token);
            Assert.Equal(WorkflowRuntimeStatus.Completed, state.RuntimeStatus);
        }

        Assert.Equal(2, sidecar.WorkflowLimits.Activities);
        Assert.Equal(2, SlowStepActivity.MostAtOnce);
    }
}
