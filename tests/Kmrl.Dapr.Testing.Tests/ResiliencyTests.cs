using System.Diagnostics;
using Dapr;
using Dapr.AspNetCore;
using Dapr.Client;
using Kmrl.Dapr.Testing.Components;
using Kmrl.Testing.Servers;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Kmrl.Dapr.Testing.Tests;

/// <summary>resiliency.yaml loaded as the CRD schema accepts it and applied as daprd's policy runner applies it.</summary>
[Collection(RedisCollection.Name)]
public sealed class ResiliencyTests(RedisServer redis, Xunit.Abstractions.ITestOutputHelper output)
{
    [Fact]
    public async Task An_initial_interval_on_a_retry_is_refused_as_the_crd_schema_refuses_an_unknown_field()
    {
        var error = await Assert.ThrowsAsync<InvalidDataException>(() => DaprTestEnvironment.StartAsync(redis, options =>
            options.EditFile("components/resiliency.yaml", yaml => yaml.Replace(
                "        policy: exponential\n        maxInterval: 5s", "        policy: exponential\n        initialInterval: 200ms\n        maxInterval: 5s", StringComparison.Ordinal))));

        Assert.Contains("strict decoding error: unknown field \"spec.policies.retries.publishRetry.initialInterval\"", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_repository_resiliency_loads_with_only_real_fields()
    {
        await using var environment = await DaprTestEnvironment.StartAsync(redis);

        var spec = environment.Resources.ResiliencyFor("document-api");

        Assert.Equal(new RetryPolicy("deliveryRetry", "exponential", TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(30), 30), spec.Retries["deliveryRetry"]);
        Assert.Equal(TimeSpan.FromSeconds(10), spec.Timeouts["component"]);
        Assert.Empty(spec.CircuitBreakers);
        Assert.Empty(environment.Resources.ResiliencyFor("an-app-out-of-scope").Retries);
    }

    [Fact]
    public void The_exponential_backoff_starts_at_half_a_second_grows_by_half_with_fifty_percent_jitter_and_stops_at_max_retries()
    {
        var time = new FakeTimeProvider();
        var backoff = new RetryPolicy("r", "exponential", TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(2), MaxRetries: 6).NewBackoff(time, new Random(7));

        var delays = Enumerable.Range(0, 7).Select(_ => backoff.Next()).ToList();

        double[] centres = [500, 750, 1125, 1687.5, 2000, 2000];
        for (var i = 0; i < centres.Length; i++)
        {
            Assert.InRange(delays[i]!.Value.TotalMilliseconds, centres[i] * 0.5, centres[i] * 1.5);
        }
        Assert.Null(delays[6]);
    }

    [Fact]
    public void A_retry_forever_policy_keeps_going_a_constant_one_waits_its_duration_and_exponential_stops_after_fifteen_minutes()
    {
        var time = new FakeTimeProvider();
        var forever = new RetryPolicy("c", "constant", TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(60), MaxRetries: -1).NewBackoff(time, new Random(1));
        var exponential = new RetryPolicy("e", "exponential", TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(60), MaxRetries: -1).NewBackoff(time, new Random(1));

        Assert.All(Enumerable.Range(0, 1000).Select(_ => forever.Next()), d => Assert.Equal(TimeSpan.FromMilliseconds(200), d));
        Assert.NotNull(exponential.Next());
        time.Advance(TimeSpan.FromMinutes(15));
        Assert.Null(exponential.Next());
    }

    [Fact]
    public async Task A_circuit_breaker_on_a_component_opens_after_its_trip_and_refuses_even_good_calls()
    {
        await using var environment = await DaprTestEnvironment.StartAsync(redis, options => options.UseResiliency("""
            apiVersion: dapr.io/v1alpha1
            kind: Resiliency
            metadata:
              name: test
            spec:
              policies:
                circuitBreakers:
                  blobs:
                    timeout: 60s
                    trip: consecutiveFailures >= 2
              targets:
                components:
                  blobstore:
                    outbound:
                      circuitBreaker: blobs
            """));
        var sidecar = await environment.StartSidecarAsync("document-api");
        using var client = sidecar.CreateClient();
        await client.InvokeBindingAsync(new BindingRequest("blobstore", "create") { Data = "x"u8.ToArray(), Metadata = { ["fileName"] = "present" } });

        for (var i = 0; i < 2; i++)
        {
            await Assert.ThrowsAsync<DaprException>(() => client.InvokeBindingAsync(new BindingRequest("blobstore", "get") { Metadata = { ["fileName"] = "missing" } }));
        }
        var refused = await Assert.ThrowsAsync<DaprException>(() => client.InvokeBindingAsync(new BindingRequest("blobstore", "get") { Metadata = { ["fileName"] = "present" } }));

        Assert.Contains("circuit breaker is open", (refused.InnerException ?? refused).Message, StringComparison.Ordinal);
        Assert.Equal("open", sidecar.Resiliency.ComponentOutbound("blobstore").Breaker!.State);
    }

    [Fact]
    public async Task An_outbound_retry_policy_retries_a_failing_component_call_on_its_backoff()
    {
        await using var environment = await DaprTestEnvironment.StartAsync(redis, options => options.UseResiliency("""
            apiVersion: dapr.io/v1alpha1
            kind: Resiliency
            metadata:
              name: test
            spec:
              policies:
                retries:
                  three:
                    policy: constant
                    duration: 200ms
                    maxRetries: 3
              targets:
                components:
                  blobstore:
                    outbound:
                      retry: three
            """));
        using var client = (await environment.StartSidecarAsync("document-api")).CreateClient();

        var clock = Stopwatch.StartNew();
        await Assert.ThrowsAsync<DaprException>(() => client.InvokeBindingAsync(new BindingRequest("blobstore", "get") { Metadata = { ["fileName"] = "missing" } }));

        Assert.InRange(clock.Elapsed, TimeSpan.FromMilliseconds(600), TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task A_delivery_that_outlasts_the_inbound_timeout_is_retried_then_dead_lettered()
    {
        await using var environment = await DaprTestEnvironment.StartAsync(redis, options =>
        {
            options.Log = output.WriteLine;
            options.EditFile("components/resiliency.yaml", yaml => yaml.Replace("delivery: 60s", "delivery: 200ms", StringComparison.Ordinal));
            options.UseRetryPolicy(TimeSpan.FromMilliseconds(10), maxRetries: 2);
        });
        var sidecar = await environment.StartSidecarAsync("document-api");
        var calls = 0;
        await using var app = await TestApp.StartAsync(sidecar, web =>
            web.MapPost("/slow", async () =>
            {
                Interlocked.Increment(ref calls);
                await Task.Delay(TimeSpan.FromSeconds(2));
                return Results.Ok();
            }).WithTopic(new TopicOptions { PubsubName = "pubsub", Name = "slow", DeadLetterTopic = "slow-deadletter" }));

        using var client = sidecar.CreateClient();
        await client.PublishEventAsync("pubsub", "slow", new { text = "late" });
        var deadLettered = await environment.WaitForPublishedAsync("slow-deadletter", 1, TimeSpan.FromSeconds(20));

        Assert.Single(deadLettered);
        Assert.Equal(3, Volatile.Read(ref calls));
    }

    [Fact]
    public void A_breaker_half_opens_after_its_timeout_and_closes_after_a_success()
    {
        var time = new FakeTimeProvider();
        var breaker = new CircuitBreaker(new CircuitBreakerPolicy("cb", 0, TimeSpan.Zero, TimeSpan.FromSeconds(30), TripCondition.Default), "statestore", time, NullLogger.Instance);
        for (var i = 0; i < 6; i++)
        {
            breaker.BeforeRequest();
            breaker.AfterRequest(success: false);
        }

        Assert.Equal("open", breaker.State);
        Assert.Throws<CircuitBreakerOpenException>(breaker.BeforeRequest);
        time.Advance(TimeSpan.FromSeconds(30));
        Assert.Equal("half-open", breaker.State);
        breaker.BeforeRequest();
        Assert.Throws<CircuitBreakerOpenException>(breaker.BeforeRequest);
        breaker.AfterRequest(success: true);
        Assert.Equal("closed", breaker.State);
    }

    [Fact]
    public async Task The_pubsub_processing_timeout_cuts_a_longer_delivery_retry_and_the_event_is_dead_lettered()
    {
        await using var environment = await DaprTestEnvironment.StartAsync(redis, options =>
        {
            options.Log = output.WriteLine;
            options.EditFile("components/pubsub.yaml", yaml => WithMetadata(yaml, "processingTimeout", "1s"));
            options.UseRetryPolicy(TimeSpan.FromMilliseconds(100), maxRetries: 1000);
        });
        var sidecar = await environment.StartSidecarAsync("document-api");
        await using var app = await TestApp.StartAsync(sidecar, web =>
            web.MapPost("/failing", () => Results.StatusCode(503))
                .WithTopic(new TopicOptions { PubsubName = "pubsub", Name = "failing", DeadLetterTopic = "failing-deadletter" }));

        using var client = sidecar.CreateClient();
        var clock = Stopwatch.StartNew();
        await client.PublishEventAsync("pubsub", "failing", new { text = "never" });
        var deadLettered = await environment.WaitForPublishedAsync("failing-deadletter", 1, TimeSpan.FromSeconds(20));

        Assert.Single(deadLettered);
        Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(0.9), TimeSpan.FromSeconds(10));
        Assert.InRange(sidecar.Deliveries.Count(d => d.Topic == "failing"), 2, 15);
    }

    [Fact]
    public async Task Without_a_dead_letter_topic_a_failed_event_stays_pending_and_is_redelivered_after_the_processing_timeout()
    {
        await using var environment = await DaprTestEnvironment.StartAsync(redis, options =>
        {
            options.Log = output.WriteLine;
            options.EditFile("components/pubsub.yaml", yaml => WithMetadata(WithMetadata(yaml, "processingTimeout", "1s"), "redeliverInterval", "300ms"));
            options.UseRetryPolicy(TimeSpan.FromMilliseconds(10), maxRetries: 1);
        });
        var sidecar = await environment.StartSidecarAsync("document-api");
        var calls = 0;
        await using var app = await TestApp.StartAsync(sidecar, web =>
            web.MapPost("/flaky", () => Interlocked.Increment(ref calls) < 3 ? Results.StatusCode(500) : Results.Ok())
                .WithTopic("pubsub", "flaky"));

        using var client = sidecar.CreateClient();
        await client.PublishEventAsync("pubsub", "flaky", new { text = "eventually" });
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (!sidecar.Deliveries.Any(d => d.Topic == "flaky" && d.Outcome == PubSub.DeliveryOutcome.Success) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
        }

        Assert.Equal(3, Volatile.Read(ref calls));
        Assert.Equal(2, sidecar.Deliveries.Count(d => d.Topic == "flaky" && d.Outcome == PubSub.DeliveryOutcome.Retry));
    }

    /// <summary>The copied component with one metadata value changed, whatever the repository's value is.</summary>
    private static string WithMetadata(string yaml, string name, string value) =>
        System.Text.RegularExpressions.Regex.Replace(yaml, $@"(- name: {name}\s*\n\s*value: )""[^""]*""", $"$1\"{value}\"");
}
