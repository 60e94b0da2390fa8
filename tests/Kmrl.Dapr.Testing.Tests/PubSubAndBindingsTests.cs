using System.Net;
using System.Text.Json;
using Dapr;
using Dapr.AspNetCore;
using Dapr.Client;
using Kmrl.Dapr.Testing.Components;
using Kmrl.Dapr.Testing.PubSub;
using Kmrl.Testing.Servers;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Kmrl.Dapr.Testing.Tests;

[Collection(RedisCollection.Name)]
public sealed class PubSubAndBindingsTests(RedisServer redis, Xunit.Abstractions.ITestOutputHelper output)
{
    public sealed record Greeting(string Text);

    [Fact]
    public async Task App_a_publishes_app_b_receives_the_cloud_event_and_saves_state_and_a_cron_tick_reaches_app_a()
    {
        await using var environment = await DaprTestEnvironment.StartAsync(redis);
        var sidecarA = await environment.StartSidecarAsync("email-connector");
        var sidecarB = await environment.StartSidecarAsync("document-api");
        var ticks = 0;
        await using var appA = await TestApp.StartAsync(sidecarA, app =>
        {
            app.MapPost("/email-schedule", () => { Interlocked.Increment(ref ticks); return Results.Ok(); });
            app.MapMethods("/email-schedule", ["OPTIONS"], () => Results.Ok());
        });
        await using var appB = await TestApp.StartAsync(sidecarB, app =>
            app.MapPost("/greetings", async (Greeting greeting, DaprClient dapr) =>
            {
                await dapr.SaveStateAsync("statestore", "last-greeting", greeting.Text);
                return Results.Ok();
            }).WithTopic("pubsub", "greetings"));

        using var client = sidecarA.CreateClient();
        await client.PublishEventAsync("pubsub", "greetings", new Greeting("namaskaram"));
        var status = await sidecarA.FireCronAsync("email-schedule");

        using var reader = sidecarB.CreateClient();
        var saved = await Eventually(async () => (string?)await reader.GetStateAsync<string>("statestore", "last-greeting"));
        var published = await environment.PublishedAsync("greetings");
        Assert.Equal("namaskaram", saved);
        Assert.Equal("com.dapr.event.sent", published.Single().GetProperty("type").GetString());
        Assert.Equal("email-connector", published.Single().GetProperty("source").GetString());
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(1, ticks);
    }

    [Fact]
    public async Task An_event_the_app_keeps_failing_is_dead_lettered_after_the_retry_policy()
    {
        await using var environment = await DaprTestEnvironment.StartAsync(redis, options =>
        {
            options.UseRetryPolicy(TimeSpan.FromMilliseconds(20), maxRetries: 3);
            options.Log = output.WriteLine;
        });
        var sidecar = await environment.StartSidecarAsync("document-api");
        await using var app = await TestApp.StartAsync(sidecar, web =>
            web.MapPost("/failing", () => Results.StatusCode(500)).WithTopic(new TopicOptions { PubsubName = "pubsub", Name = "failing", DeadLetterTopic = "failing-deadletter" }));

        using var client = sidecar.CreateClient();
        await client.PublishEventAsync("pubsub", "failing", new Greeting("never"));
        var deadLettered = await environment.WaitForPublishedAsync("failing-deadletter", 1);

        Assert.Single(deadLettered);
        Assert.Equal(4, sidecar.Deliveries.Count(d => d.Topic == "failing"));
        Assert.All(sidecar.Deliveries.Where(d => d.Topic == "failing"), d => Assert.Equal(DeliveryOutcome.Retry, d.Outcome));
    }

    [Fact]
    public async Task A_drop_answer_is_not_redelivered_and_a_retry_answer_is()
    {
        await using var environment = await DaprTestEnvironment.StartAsync(redis, options =>
            options.UseRetryPolicy(TimeSpan.FromMilliseconds(20), maxRetries: 5));
        var sidecar = await environment.StartSidecarAsync("document-api");
        var calls = 0;
        await using var app = await TestApp.StartAsync(sidecar, web =>
        {
            web.MapPost("/dropped", () => Results.Json(new { status = "DROP" })).WithTopic("pubsub", "dropped");
            web.MapPost("/flaky", () => Interlocked.Increment(ref calls) < 3 ? Results.Json(new { status = "RETRY" }) : Results.Json(new { status = "SUCCESS" }))
                .WithTopic("pubsub", "flaky");
        });

        using var client = sidecar.CreateClient();
        await client.PublishEventAsync("pubsub", "dropped", new Greeting("x"));
        await client.PublishEventAsync("pubsub", "flaky", new Greeting("y"));
        await Eventually(() => Task.FromResult<string?>(sidecar.Deliveries.Any(d => d.Topic == "flaky" && d.Outcome == DeliveryOutcome.Success) ? "done" : null));

        Assert.Single(sidecar.Deliveries, d => d.Topic == "dropped");
        Assert.Equal(3, sidecar.Deliveries.Count(d => d.Topic == "flaky"));
    }

    [Fact]
    public async Task Two_replicas_of_one_app_compete_and_two_apps_each_get_every_event()
    {
        await using var environment = await DaprTestEnvironment.StartAsync(redis);
        var counts = new Dictionary<string, int> { ["api-1"] = 0, ["api-2"] = 0, ["email"] = 0 };
        async Task<WebApplication> Start(string appId, string name)
        {
            var sidecar = await environment.StartSidecarAsync(appId);
            return await TestApp.StartAsync(sidecar, web => web.MapPost("/fan", () =>
            {
                lock (counts) { counts[name]++; }
                return Results.Ok();
            }).WithTopic("pubsub", "fan"));
        }
        await using var api1 = await Start("document-api", "api-1");
        await using var api2 = await Start("document-api", "api-2");
        await using var email = await Start("email-connector", "email");

        using var client = (await environment.StartSidecarAsync("maximo-connector")).CreateClient();
        for (var i = 0; i < 20; i++)
        {
            await client.PublishEventAsync("pubsub", "fan", new Greeting($"#{i}"));
        }
        await Eventually(() => Task.FromResult<string?>(counts["email"] == 20 && counts["api-1"] + counts["api-2"] == 20 ? "done" : null));

        Assert.Equal(20, counts["email"]);
        Assert.Equal(20, counts["api-1"] + counts["api-2"]);
    }

    [Fact]
    public async Task An_event_left_unacknowledged_by_a_crashed_app_is_delivered_after_it_restarts()
    {
        await using var environment = await DaprTestEnvironment.StartAsync(redis);
        var sidecar = await environment.StartSidecarAsync("document-api");
        using var client = sidecar.CreateClient();
        await client.PublishEventAsync("pubsub", "survives", new Greeting("kept"));

        // Nothing subscribed yet: the event waits in the stream; a consumer group created later starts at the beginning.
        var received = new TaskCompletionSource<string>();
        await using var app = await TestApp.StartAsync(sidecar, web =>
            web.MapPost("/survives", (Greeting g) => { received.TrySetResult(g.Text); return Results.Ok(); }).WithTopic("pubsub", "survives"));

        Assert.Equal("kept", await received.Task.WaitAsync(TimeSpan.FromSeconds(20)));
    }

    [Fact]
    public async Task Service_invocation_reaches_the_other_apps_method()
    {
        await using var environment = await DaprTestEnvironment.StartAsync(redis);
        var caller = await environment.StartSidecarAsync("email-connector");
        var callee = await environment.StartSidecarAsync("document-api");
        await using var calleeApp = await TestApp.StartAsync(callee, web => web.MapGet("/documents/{id}", (string id) => Results.Ok(new Greeting("doc " + id))));

        using var client = caller.CreateClient();
        var answer = await client.InvokeMethodAsync<Greeting>(HttpMethod.Get, "document-api", "documents/42");

        Assert.Equal("doc 42", answer.Text);
    }

    [Fact]
    public async Task A_cron_tick_is_refused_to_an_app_that_did_not_answer_the_probe_of_a_binding_without_direction()
    {
        // Only a binding that does not declare its direction is probed (dapr pkg/runtime/processor/binding/send.go).
        await using var environment = await DaprTestEnvironment.StartAsync(redis, options =>
            options.EditFile("components/sharepoint-schedule.yaml", yaml => yaml.Replace("    - name: direction\n      value: input\n", "", StringComparison.Ordinal)));
        var sidecar = await environment.StartSidecarAsync("sharepoint-connector");
        await using var app = await TestApp.StartAsync(sidecar, _ => { });

        Assert.False(sidecar.AppListensTo("sharepoint-schedule"));
        await Assert.ThrowsAsync<InvalidOperationException>(() => sidecar.FireCronAsync("sharepoint-schedule"));
    }

    [Fact]
    public async Task A_binding_declared_as_input_is_delivered_without_a_probe()
    {
        await using var environment = await DaprTestEnvironment.StartAsync(redis);
        var sidecar = await environment.StartSidecarAsync("sharepoint-connector");
        await using var app = await TestApp.StartAsync(sidecar, _ => { });

        Assert.True(sidecar.AppListensTo("sharepoint-schedule"));
        Assert.Equal(HttpStatusCode.NotFound, await sidecar.FireCronAsync("sharepoint-schedule"));
    }

    private static async Task<T> Eventually<T>(Func<Task<T?>> probe)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (true)
        {
            var value = await probe();
            if (value is not null || DateTime.UtcNow > deadline)
            {
                return value ?? throw new TimeoutException("The condition did not hold in 20 s.");
            }
            await Task.Delay(50);
        }
    }
}
