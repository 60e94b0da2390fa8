using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using Kmrl.Contracts;
using Kmrl.Testing.Servers;
using Xunit.Abstractions;

namespace Kmrl.Notifications.Tests;

/// <summary>
/// End to end on the sidecar double: events on pub/sub in, mail on a real SMTP server and JSON on a webhook out,
/// through the bindings.smtp and bindings.http components in components/.
/// </summary>
public sealed partial class NotificationsEndToEndTests(RedisServer redis, ITestOutputHelper output) : IClassFixture<RedisServer>
{
    // 08:30 in Kochi (IST, UTC+5:30).
    private static readonly DateTimeOffset Morning = new(2026, 3, 2, 3, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task A_mailbox_down_for_many_runs_mails_one_alert_and_one_recovery_and_the_webhook_gets_the_same_as_json()
    {
        await using var rig = await NotificationRig.StartAsync(redis, Morning, output);
        const string connector = DaprNames.AppIds.EmailConnector;
        const string source = "ops/INBOX";

        // The connector host publishes every third failed run; the first event also comes a second time (a redelivery).
        var failures = new[] { 3, 6, 9, 12, 15, 3 }.Select(n => new ConnectorSyncFailed(connector, source, n,
            "AuthenticationException: the mailbox refused the password", Morning.AddMinutes(10 * n))).ToList();
        foreach (var failure in failures)
        {
            await rig.PublishAsync(DaprNames.Topics.ConnectorSyncFailed, failure);
        }
        await rig.DeliveredAsync(DaprNames.Topics.ConnectorSyncFailed, failures.Count);
        var recovered = new ConnectorSyncRecovered(connector, source, 16, Morning.AddHours(4));
        await rig.PublishAsync(DaprNames.Topics.ConnectorSyncRecovered, recovered);
        await rig.PublishAsync(DaprNames.Topics.ConnectorSyncRecovered, recovered);
        await rig.DeliveredAsync(DaprNames.Topics.ConnectorSyncRecovered, 2);

        var mails = await rig.Smtp.WaitForAsync(2);
        Assert.Equal(2, mails.Count);
        Assert.Contains("cannot sync ops/INBOX (incident 1)", mails[0].Subject);
        Assert.Contains("refused the password", mails[0].Html);
        Assert.Contains("syncs ops/INBOX again (incident 1 resolved)", mails[1].Subject);
        Assert.All(mails, mail => Assert.Equal(NotificationRig.Operations.Split(';'), mail.To));
        Assert.All(mails, mail => Assert.Equal("kmrl-documents@localhost", mail.From));

        var received = await rig.Webhook.WaitForAsync(2);
        Assert.Equal(2, received.Count);
        Assert.All(received, post => Assert.StartsWith("application/json", post.ContentType));
        var posts = received.Select(p => p.Json).ToList();
        Assert.Equal(["incident-opened", "incident-recovered"], posts.Select(p => p.GetProperty("kind").GetString()));
        Assert.Equal(mails.Select(m => m.Subject), posts.Select(p => p.GetProperty("title").GetString()));
        Assert.All(posts, post => Assert.Equal("operations", post.GetProperty("audience").GetString()));

        // The mailbox fails again later: a new incident, one new alert.
        await rig.PublishAsync(DaprNames.Topics.ConnectorSyncFailed, new ConnectorSyncFailed(connector, source, 3, "timeout", Morning.AddHours(6)));
        await rig.DeliveredAsync(DaprNames.Topics.ConnectorSyncFailed, failures.Count + 1);
        var third = await rig.Smtp.WaitForAsync(3);
        Assert.Contains("(incident 2)", third[2].Subject);
        Assert.Equal(3, rig.Smtp.Received.Count);
    }

    [Fact]
    public async Task A_redelivered_event_sends_nothing_twice_even_when_only_one_channel_failed_the_first_time()
    {
        await using var rig = await NotificationRig.StartAsync(redis, Morning, output);
        rig.Webhook.RefuseNext(2);
        var failed = new ConnectorSyncFailed(DaprNames.AppIds.MaximoConnector, "maximo-rest", 3, "HttpRequestException: 502", Morning);

        await rig.PublishAsync(DaprNames.Topics.ConnectorSyncFailed, failed);
        await rig.DeliveredAsync(DaprNames.Topics.ConnectorSyncFailed, 1);
        // Two refused posts made the delivery fail twice: pub/sub redelivered it, and the mail went out the first time only.
        Assert.Equal(2, rig.Webhook.Refused);
        Assert.Equal(2, rig.Sidecar.Deliveries.Count(d => d.Topic == DaprNames.Topics.ConnectorSyncFailed && d.Outcome != Dapr.Testing.PubSub.DeliveryOutcome.Success));
        Assert.Single(await rig.Smtp.WaitForAsync(1));
        Assert.Single(await rig.Webhook.WaitForAsync(1));

        await rig.PublishAsync(DaprNames.Topics.ConnectorSyncFailed, failed);
        await rig.DeliveredAsync(DaprNames.Topics.ConnectorSyncFailed, 2);
        Assert.Single(rig.Smtp.Received);
        Assert.Single(rig.Webhook.Received);
    }

    [Fact]
    public async Task A_deadline_reminds_the_department_it_was_routed_to_at_each_lead_time_and_stops_once_acknowledged()
    {
        await using var rig = await NotificationRig.StartAsync(redis, Morning, output, new Dictionary<string, string>
        {
            ["Notifications:ReminderLeadTimes:0"] = "7.00:00:00",
            ["Notifications:ReminderLeadTimes:1"] = "2.00:00:00",
            ["Notifications:ReminderLeadTimes:2"] = "1.00:00:00",
        });
        var deadline = new DateOnly(2026, 3, 6);
        var approaching = new DocumentDeadlineApproaching("doc-tender-42", "Tender 42 corrigendum.pdf", deadline, ["finance"], Morning);

        await rig.PublishAsync(DaprNames.Topics.DocumentDeadlineApproaching, approaching);
        await rig.DeliveredAsync(DaprNames.Topics.DocumentDeadlineApproaching, 1);
        var first = Assert.Single(await rig.Smtp.WaitForAsync(1));
        Assert.Equal([NotificationRig.Finance], first.To);
        Assert.Contains("Tender 42 corrigendum.pdf", first.Subject);
        Assert.Contains("4 days left", first.Html);
        Assert.Contains("4 ദിവസം ബാക്കി", first.Html);

        // The same day's tick has nothing new: the seven-day reminder went out.
        Assert.Equal(0, await TickAsync(rig));

        rig.Time.SetUtcNow(Morning.AddDays(2));
        Assert.Equal(2, await TickAsync(rig));
        var second = (await rig.Smtp.WaitForAsync(2))[1];
        Assert.Contains("2 days left", second.Html);

        var link = AcknowledgeLink().Match(second.Html);
        Assert.True(link.Success, second.Html);
        var ackUri = new Uri(WebUtility.HtmlDecode(link.Groups[1].Value));
        using var client = rig.App.CreateClient();
        var page = await client.GetStringAsync(ackUri.PathAndQuery);
        Assert.Contains("<form method=\"post\">", page);
        var token = TokenOf().Match(ackUri.Query).Groups[1].Value;
        using (var wrong = await client.PostAsync(ackUri.AbsolutePath, new FormUrlEncodedContent([new("token", "not-the-token")])))
        {
            Assert.Equal(HttpStatusCode.NotFound, wrong.StatusCode);
        }
        using (var acknowledged = await client.PostAsync(ackUri.AbsolutePath, new FormUrlEncodedContent([new("token", token)])))
        {
            Assert.Equal(HttpStatusCode.OK, acknowledged.StatusCode);
            using var body = JsonDocument.Parse(await acknowledged.Content.ReadAsStringAsync());
            Assert.Equal("doc-tender-42", body.RootElement.GetProperty("documentId").GetString());
        }
        // Announced, so document-api records it where the staff pages show who acknowledged (its one record).
        var announced = Assert.Single(await rig.Environment.WaitForPublishedAsync(DaprNames.Topics.DeadlineAcknowledged, 1))
            .GetProperty("data").Deserialize<DeadlineAcknowledged>(Kmrl.ServiceDefaults.KmrlJson.Options)!;
        Assert.Equal(("doc-tender-42", deadline, DeadlineAcknowledged.ViaReminderLink), (announced.DocumentId, announced.Deadline, announced.Via));

        // The one-day reminder is due now, and is not sent: someone acknowledged. A late redelivery changes nothing.
        rig.Time.SetUtcNow(Morning.AddDays(3));
        Assert.Equal(0, await TickAsync(rig));
        await rig.PublishAsync(DaprNames.Topics.DocumentDeadlineApproaching, approaching);
        await rig.DeliveredAsync(DaprNames.Topics.DocumentDeadlineApproaching, 2);
        Assert.Equal(2, rig.Smtp.Received.Count);
        Assert.Equal(["deadline-reminder", "deadline-reminder"], rig.Webhook.Received.Select(p => p.Json.GetProperty("kind").GetString()));
        Assert.All(rig.Webhook.Received, p => Assert.Equal("finance", p.Json.GetProperty("audience").GetString()));
    }

    [Fact]
    public async Task Documents_routed_to_a_department_arrive_as_one_bilingual_digest_per_department_at_the_digest_hour()
    {
        var early = Morning.AddHours(-2); // 06:30 IST, before the 08:00 digest
        await using var rig = await NotificationRig.StartAsync(redis, early, output);
        DocumentRouted Routed(string id, string department, string file) =>
            new(id, department, "circular", file, "Revised night maintenance window", ["rule:circular"], early);
        var routed = new[]
        {
            Routed("doc-a", "finance", "Budget circular 12.pdf"),
            Routed("doc-b", "finance", "Audit memo.docx"),
            Routed("doc-a", "finance", "Budget circular 12.pdf"),
            Routed("doc-c", "legal", "Contract addendum.pdf"),
            // hr has no mail recipients in the secret: its digest goes to the webhook only, and nothing is retried.
            Routed("doc-d", "hr", "Leave policy.pdf"),
        };
        foreach (var document in routed)
        {
            await rig.PublishAsync(DaprNames.Topics.ForDepartment(document.Department), document);
        }
        await rig.DeliveredAsync(DaprNames.Topics.ForDepartment("finance"), 3);
        await rig.DeliveredAsync(DaprNames.Topics.ForDepartment("legal"), 1);
        await rig.DeliveredAsync(DaprNames.Topics.ForDepartment("hr"), 1);

        Assert.Equal(0, await TickAsync(rig));
        Assert.Empty(rig.Smtp.Received);

        rig.Time.SetUtcNow(Morning);
        Assert.Equal(5, await TickAsync(rig)); // finance and legal on mail and webhook, hr on the webhook
        var mails = await rig.Smtp.WaitForAsync(2);
        Assert.Equal(2, mails.Count);
        Assert.Equal(["finance", "hr", "legal"], rig.Webhook.Received.Select(p => p.Json.GetProperty("audience").GetString()).Order());
        var finance = Assert.Single(mails, m => m.To.SequenceEqual([NotificationRig.Finance]));
        var legal = Assert.Single(mails, m => m.To.SequenceEqual([NotificationRig.Legal]));
        Assert.Contains("finance: 2 new documents", finance.Subject);
        Assert.Contains("ദൈനംദിന സംഗ്രഹം", finance.Subject);
        Assert.Contains("വിഭാഗത്തിലേക്ക് 2 രേഖകൾ", finance.Html);
        Assert.Contains("href=\"http://localhost:5100/documents/doc-a\"", finance.Html);
        Assert.Contains("Audit memo.docx", finance.Html);
        Assert.Contains("Contract addendum.pdf", legal.Html);

        Assert.Equal(0, await TickAsync(rig));
        Assert.Equal(2, rig.Smtp.Received.Count);
    }

    /// <summary>One tick of the schedule through the double; returns the mails and posts it produced (sent before it answers).</summary>
    private static async Task<int> TickAsync(NotificationRig rig)
    {
        var before = rig.Smtp.Received.Count + rig.Webhook.Received.Count;
        Assert.Equal(HttpStatusCode.OK, await rig.Sidecar.FireCronAsync(DaprNames.NotificationBindings.Schedule));
        return rig.Smtp.Received.Count + rig.Webhook.Received.Count - before;
    }

    [GeneratedRegex("href=\"([^\"]*/acknowledge\\?token=[^\"]*)\"")]
    private static partial Regex AcknowledgeLink();

    [GeneratedRegex("token=([0-9a-f]+)")]
    private static partial Regex TokenOf();
}
