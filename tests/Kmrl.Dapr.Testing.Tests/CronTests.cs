using Kmrl.Dapr.Testing.Components;
using Kmrl.Testing.Servers;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Kmrl.Dapr.Testing.Tests;

/// <summary>bindings.cron schedules parsed as components-contrib parses them, fired on time when a test asks.</summary>
[Collection(RedisCollection.Name)]
public sealed class CronTests(RedisServer redis)
{
    private static readonly DateTimeOffset Start = new(2026, 12, 1, 10, 7, 30, 250, TimeSpan.Zero);

    [Theory]
    [InlineData("@every 10m", "2026-12-01T10:17:30+00:00")]
    [InlineData("@every 1500ms", "2026-12-01T10:07:31+00:00")]
    [InlineData("0 */5 * * * *", "2026-12-01T10:10:00+00:00")]
    [InlineData("*/15 * * * *", "2026-12-01T10:15:00+00:00")]
    [InlineData("15 * * * * *", "2026-12-01T10:08:15+00:00")]
    [InlineData("TZ=UTC 0 30 9 * * MON-FRI", "2026-12-02T09:30:00+00:00")]
    [InlineData("TZ=UTC @daily", "2026-12-02T00:00:00+00:00")]
    public void A_schedule_fires_next_when_bindings_cron_would(string schedule, string expected)
    {
        Assert.Equal(DateTimeOffset.Parse(expected, System.Globalization.CultureInfo.InvariantCulture), CronSchedule.Parse(schedule).Next(Start));
    }

    [Theory]
    [InlineData("every 10m")]
    [InlineData("* * * *")]
    [InlineData("61 * * * * *")]
    [InlineData("@every")]
    public async Task An_invalid_schedule_stops_the_sidecar_as_init_fails(string schedule)
    {
        await using var environment = await DaprTestEnvironment.StartAsync(redis, options =>
            options.EditFile("components/email-schedule.yaml", yaml => yaml.Replace("\"@every 10m\"", "\"" + schedule + "\"", StringComparison.Ordinal)));

        var error = await Assert.ThrowsAsync<ComponentInitException>(() => environment.StartSidecarAsync("email-connector"));

        Assert.Contains($"invalid schedule format '{schedule}'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task With_real_time_a_cron_binding_fires_on_its_schedule_and_by_hand()
    {
        await using var environment = await DaprTestEnvironment.StartAsync(redis, options =>
        {
            options.CronRealTime = true;
            options.EditFile("components/email-schedule.yaml", yaml => yaml.Replace("\"@every 10m\"", "\"@every 1s\"", StringComparison.Ordinal));
        });
        var sidecar = await environment.StartSidecarAsync("email-connector");
        var ticks = 0;
        await using var app = await TestApp.StartAsync(sidecar, web =>
        {
            web.MapPost("/email-schedule", () => { Interlocked.Increment(ref ticks); return Results.Ok(); });
            web.MapMethods("/email-schedule", ["OPTIONS"], () => Results.Ok());
        });

        await Task.Delay(TimeSpan.FromSeconds(3.5));
        var scheduled = Volatile.Read(ref ticks);
        await sidecar.FireCronAsync("email-schedule");

        Assert.InRange(scheduled, 2, 5);
        Assert.Equal(scheduled + 1, Volatile.Read(ref ticks), tolerance: 1);
    }

    [Fact]
    public async Task Without_real_time_a_cron_binding_fires_only_by_hand()
    {
        await using var environment = await DaprTestEnvironment.StartAsync(redis, options =>
            options.EditFile("components/email-schedule.yaml", yaml => yaml.Replace("\"@every 10m\"", "\"@every 1s\"", StringComparison.Ordinal)));
        var sidecar = await environment.StartSidecarAsync("email-connector");
        var ticks = 0;
        await using var app = await TestApp.StartAsync(sidecar, web =>
        {
            web.MapPost("/email-schedule", () => { Interlocked.Increment(ref ticks); return Results.Ok(); });
            web.MapMethods("/email-schedule", ["OPTIONS"], () => Results.Ok());
        });

        await Task.Delay(TimeSpan.FromSeconds(1.5));

        Assert.Equal(0, Volatile.Read(ref ticks));
    }
}
