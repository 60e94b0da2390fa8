using Dapr.Workflow;
using Kmrl.Testing.Servers;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Kmrl.Dapr.Testing.Tests;

public sealed class ApprovalWorkflow : Workflow<string, string>
{
    public override async Task<string> RunAsync(WorkflowContext context, string input)
    {
        var retry = new WorkflowTaskOptions(new WorkflowRetryPolicy(maxNumberOfAttempts: 3, firstRetryInterval: TimeSpan.FromMilliseconds(50)));
        var checkedIn = await context.CallActivityAsync<string>(nameof(FlakyCheckActivity), input, retry);
        var approval = await context.WaitForExternalEventAsync<string>("approval", TimeSpan.FromSeconds(30));
        await context.CreateTimer(TimeSpan.FromMilliseconds(100));
        return await context.CallActivityAsync<string>(nameof(StampActivity), $"{checkedIn}|{approval}");
    }
}

/// <summary>Fails its first attempt, so the retry policy has to carry the workflow on.</summary>
public sealed class FlakyCheckActivity : WorkflowActivity<string, string>
{
    public static int Attempts;

    public override Task<string> RunAsync(WorkflowActivityContext context, string input) =>
        Interlocked.Increment(ref Attempts) == 1
            ? throw new InvalidOperationException("transient failure")
            : Task.FromResult(input + ":checked");
}

public sealed class StampActivity : WorkflowActivity<string, string>
{
    public override Task<string> RunAsync(WorkflowActivityContext context, string input) => Task.FromResult(input + ":stamped");
}

[Collection(RedisCollection.Name)]
public sealed class WorkflowTests(RedisServer redis)
{
    [Fact]
    public async Task A_workflow_with_two_activities_a_retry_policy_a_timer_and_an_external_event_completes()
    {
        await using var environment = await DaprTestEnvironment.StartAsync(redis);
        var sidecar = await environment.StartSidecarAsync("document-api");
        await using var app = WorkflowWorkerApp.Build(sidecar, options =>
        {
            options.RegisterWorkflow<ApprovalWorkflow>();
            options.RegisterActivity<FlakyCheckActivity>();
            options.RegisterActivity<StampActivity>();
        });
        await app.StartAsync();
        await sidecar.AttachAppAsync(new Uri(app.Urls.First()));
        var client = app.Services.GetRequiredService<DaprWorkflowClient>();

        var instanceId = await client.ScheduleNewWorkflowAsync(nameof(ApprovalWorkflow), "job-card-17", "JC-17");
        await client.WaitForWorkflowStartAsync(instanceId);
        await client.RaiseEventAsync(instanceId, "approval", "approved-by-depot");
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var state = await client.WaitForWorkflowCompletionAsync(instanceId, cancellation: timeout.Token);

        Assert.Equal(WorkflowRuntimeStatus.Completed, state.RuntimeStatus);
        Assert.Equal("JC-17:checked|approved-by-depot:stamped", state.ReadOutputAs<string>());
        Assert.Equal(2, FlakyCheckActivity.Attempts);
    }
}
