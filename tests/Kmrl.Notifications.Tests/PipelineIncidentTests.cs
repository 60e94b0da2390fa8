using System.Net;
using Kmrl.Contracts;
using Kmrl.Testing.Servers;
using Xunit.Abstractions;

namespace Kmrl.Notifications.Tests;

/// <summary>
/// The pipeline's incidents mailed to operations on the sidecar double, with the connectors' dedupe: a backlog past its
/// depth reported by two replicas for many minutes, and dead letters that keep arriving, each give one alert and one
/// recovery once quiet; a later one opens the next incident.
/// </summary>
public sealed class PipelineIncidentTests(RedisServer redis, ITestOutputHelper output) : IClassFixture<RedisServer>
{
    // 08:30 in Kochi (IST, UTC+5:30).
    private static readonly DateTimeOffset Morning = new(2026, 3, 2, 3, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task A_backlog_reported_by_two_replicas_for_many_minutes_mails_one_alert_and_one_recovery_once_the_reports_stop()
    {
        await using var rig = await NotificationRig.StartAsync(redis, Morning, output);
        var reports = Enumerable.Range(0, 6).Select(minute => new PipelineBacklogHigh(minute % 2 == 0 ? "document-pipeline-a" : "document-pipeline-b",
            600 + minute, 500, Morning.AddMinutes(minute))).ToList();
        foreach (var report in reports)
        {
            await rig.PublishAsync(DaprNames.Topics.PipelineBacklogHigh, report);
        }
        await rig.DeliveredAsync(DaprNames.Topics.PipelineBacklogHigh, reports.Count);
        var alert = Assert.Single(await rig.Smtp.WaitForAsync(1));
        Assert.Contains("The document pipeline is behind (incident 1)", alert.Subject);
        Assert.Contains("more than 500", alert.Html);
        Assert.Equal(NotificationRig.Operations.Split(';'), alert.To);

        // Five minutes after the last report: still open. Ten: it has caught up.
        rig.Time.SetUtcNow(Morning.AddMinutes(10));
        Assert.Equal(0, await TickAsync(rig));
        rig.Time.SetUtcNow(Morning.AddMinutes(16));
        Assert.Equal(2, await TickAsync(rig)); // mail and webhook
        Assert.Equal(0, await TickAsync(rig));
        var mails = await rig.Smtp.WaitForAsync(2);
        Assert.Contains("has caught up (incident 1 resolved)", mails[1].Subject);
        Assert.Equal(["incident-opened", "incident-recovered"], rig.Webhook.Received.Select(p => p.Json.GetProperty("kind").GetString()));

        // A report from before the recovery arrives late and changes nothing; a new one opens incident 2.
        await rig.PublishAsync(DaprNames.Topics.PipelineBacklogHigh, reports[0]);
        await rig.PublishAsync(DaprNames.Topics.PipelineBacklogHigh, reports[0] with { ReportedAt = Morning.AddMinutes(30) });
        await rig.DeliveredAsync(DaprNames.Topics.PipelineBacklogHigh, reports.Count + 2);
        var third = await rig.Smtp.WaitForAsync(3);
        Assert.Contains("(incident 2)", third[2].Subject);
        Assert.Equal(3, rig.Smtp.Received.Count);
    }

    [Fact]
    public async Task Dead_letters_that_keep_arriving_mail_one_alert_and_the_recovery_after_an_hour_without_one_counting_a_redelivery_once()
    {
        await using var rig = await NotificationRig.StartAsync(redis, Morning, output);
        for (var i = 0; i < 3; i++)
        {
            rig.Time.SetUtcNow(Morning.AddMinutes(5 * i));
            await rig.PublishAsync(DaprNames.Topics.DocumentDiscoveredDeadLetter, DeadLetter(i));
            await rig.DeliveredAsync(DaprNames.Topics.DocumentDiscoveredDeadLetter, i + 1);
        }
        // A redelivery of the first: not counted again.
        await rig.PublishAsync(DaprNames.Topics.DocumentDiscoveredDeadLetter, DeadLetter(0));
        await rig.DeliveredAsync(DaprNames.Topics.DocumentDiscoveredDeadLetter, 4);
        var alert = Assert.Single(await rig.Smtp.WaitForAsync(1));
        Assert.Contains("Documents are being dead-lettered (incident 1)", alert.Subject);

        rig.Time.SetUtcNow(Morning.AddMinutes(10 + 59));
        Assert.Equal(0, await TickAsync(rig));
        rig.Time.SetUtcNow(Morning.AddMinutes(10 + 61));
        Assert.Equal(2, await TickAsync(rig));
        var mails = await rig.Smtp.WaitForAsync(2);
        Assert.Contains("No more documents are being dead-lettered (incident 1 resolved)", mails[1].Subject);
        Assert.Contains("3 since", mails[1].Html);
    }

    private static DocumentDiscovered DeadLetter(int i)
    {
        var sha = new string((char)('a' + i), 64);
        return new DocumentDiscovered(IdempotencyKey.For(DocumentSources.Email, $"INBOX/{i}", sha), DocumentSources.Email, $"INBOX/{i}",
            $"scan-{i}.pdf", "application/pdf", 10, sha, new BlobReference($"blob-{i}", 10, sha, 1, 1024 * 1024),
            new Dictionary<string, string>(), Morning);
    }

    private static async Task<int> TickAsync(NotificationRig rig)
    {
        var before = rig.Smtp.Received.Count + rig.Webhook.Received.Count;
        Assert.Equal(HttpStatusCode.OK, await rig.Sidecar.FireCronAsync(DaprNames.NotificationBindings.Schedule));
        return rig.Smtp.Received.Count + rig.Webhook.Received.Count - before;
    }
}
