extern alias email;
extern alias notifications;

using System.Globalization;
using System.Net;
using Kmrl.Connectors.Sync;
using Kmrl.Contracts;
using Kmrl.Dapr.Testing;
using Kmrl.Dapr.Testing.PubSub;
using Kmrl.Reliability.Tests.Support;
using Kmrl.Testing.Documents;
using Kmrl.Testing.Servers;
using Xunit.Abstractions;

namespace Kmrl.Reliability.Tests.Outages;

/// <summary>
/// R2 with a person at the end (issue 22): the production email connector over a real Dovecot that goes down for
/// nine polls and comes back, and the production notifications service beside it on the same pub/sub, its
/// notify-email binding on a real SMTP server on loopback. The connector announces the outage every third failed
/// poll and its end once; operations get exactly one alert mail and one recovery mail, and the webhook the same.
/// </summary>
public sealed class OutageAlertMailTests(DovecotImapServer dovecot, RedisServer redis, ITestOutputHelper output)
    : IClassFixture<DovecotImapServer>, IClassFixture<RedisServer>, IAsyncLifetime
{
    private const int FailedPolls = 9;
    private const string MailUser = "alice";
    private const string MailFolder = "R2-ALERTS";
    private const string SourceName = "r2alerts/" + MailFolder;
    private const string Operations = "ops-oncall@kmrl.test;it-helpdesk@kmrl.test";
    private static readonly TimeSpan RunTimeout = TimeSpan.FromSeconds(90);
    private readonly LoopbackSmtpServer _smtp = new();
    private LoopbackWebhook _webhook = null!;

    public async Task InitializeAsync()
    {
        await _smtp.InitializeAsync();
        _webhook = await LoopbackWebhook.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await _webhook.DisposeAsync();
        await _smtp.DisposeAsync();
    }

    [Fact]
    public async Task A_mailbox_down_for_nine_polls_mails_operations_one_alert_and_one_recovery()
    {
        await dovecot.EnsureFolderAsync(MailUser, MailFolder);
        await dovecot.DeliverAsync(MailUser, Mail("before-1"), MailFolder);
        await using var environment = await DaprTestEnvironment.StartAsync(redis, options =>
        {
            options.Secrets["email-ops-mailbox"] = new Dictionary<string, object> { ["password"] = dovecot.Users[MailUser] };
            options.Secrets[DaprNames.Secrets.NotificationRecipients] = new Dictionary<string, object> { ["operations"] = Operations };
            options.MetadataOverrides[DaprNames.NotificationBindings.Email] = new()
            {
                ["host"] = _smtp.Host,
                ["port"] = _smtp.Port.ToString(CultureInfo.InvariantCulture),
            };
            options.MetadataOverrides[DaprNames.NotificationBindings.Webhook] = new() { ["url"] = _webhook.Url.ToString() };
            OperatorAccess.Grant(options);
            options.Log = output.WriteLine;
        });
        var connectorSidecar = await environment.StartSidecarAsync(DaprNames.AppIds.EmailConnector);
        await using var connector = await connectorSidecar.StartAppAsync<email::Program>(new Dictionary<string, string>
        {
            ["Connector:MaxReadAttempts"] = "2",
            ["Connector:RetryBaseDelay"] = "00:00:00.2",
            ["Connector:RetryMaxDelay"] = "00:00:01",
            ["Email:Mailboxes:0:Name"] = "r2alerts",
            ["Email:Mailboxes:0:Host"] = dovecot.Host,
            ["Email:Mailboxes:0:Port"] = dovecot.Port.ToString(CultureInfo.InvariantCulture),
            ["Email:Mailboxes:0:Tls"] = "None",
            ["Email:Mailboxes:0:AllowInsecureConnection"] = "true",
            ["Email:Mailboxes:0:UserName"] = MailUser,
            ["Email:Mailboxes:0:Secret"] = "email-ops-mailbox",
            ["Email:Mailboxes:0:Folders:0"] = MailFolder,
            ["Email:Mailboxes:0:PostProcessing"] = "Leave",
        });
        var notificationsSidecar = await environment.StartSidecarAsync(DaprNames.AppIds.Notifications);
        await using var notifier = await notificationsSidecar.StartAppAsync<notifications::Program>();
        using var http = OperatorAccess.Client(connector.ClientOptions.BaseAddress, TimeSpan.FromSeconds(30));
        var probe = new ConnectorProbe(http);

        Assert.Equal(HttpStatusCode.OK, await connectorSidecar.FireCronAsync(DaprNames.Bindings.EmailSchedule));
        var run = await probe.WaitForRunAsync(SourceName, null, RunTimeout);
        Assert.Equal(SyncOutcome.Completed, run.Outcome);

        await dovecot.StopAsync();
        for (var poll = 1; poll <= FailedPolls; poll++)
        {
            Assert.Equal(HttpStatusCode.OK, await connectorSidecar.FireCronAsync(DaprNames.Bindings.EmailSchedule));
            run = await probe.WaitForRunAsync(SourceName, run.RunId, RunTimeout);
            Assert.Equal(SyncOutcome.Failed, run.Outcome);
        }
        // Announced at the 3rd, 6th and 9th failed poll; each reached the notifications service.
        Assert.Equal([3, 6, 9], (await environment.WaitForEventsAsync<ConnectorSyncFailed>(DaprNames.Topics.ConnectorSyncFailed, 3))
            .Select(e => e.ConsecutiveFailures).Order());
        await DeliveredAsync(notificationsSidecar, DaprNames.Topics.ConnectorSyncFailed, 3);

        await dovecot.RestartAsync();
        Assert.Equal(HttpStatusCode.OK, await connectorSidecar.FireCronAsync(DaprNames.Bindings.EmailSchedule));
        run = await probe.WaitForRunAsync(SourceName, run.RunId, RunTimeout, r => r.Outcome == SyncOutcome.Completed);
        var quietRequested = DateTimeOffset.UtcNow;
        Assert.Equal(HttpStatusCode.OK, await connectorSidecar.FireCronAsync(DaprNames.Bindings.EmailSchedule));
        await probe.WaitForRunAsync(SourceName, run.RunId, RunTimeout, r => r.StartedAt >= quietRequested && r.Outcome == SyncOutcome.Completed);
        var recovered = Assert.Single(await environment.WaitForEventsAsync<ConnectorSyncRecovered>(DaprNames.Topics.ConnectorSyncRecovered, 1));
        Assert.Equal(FailedPolls, recovered.FailedRuns);
        await DeliveredAsync(notificationsSidecar, DaprNames.Topics.ConnectorSyncRecovered, 1);

        var mails = _smtp.Received;
        output.WriteLine(string.Join("\n", mails.Select(m => $"{string.Join(",", m.To)}: {m.Subject}")));
        Assert.Equal(2, mails.Count);
        Assert.Contains($"{DocumentSources.Email} cannot sync {SourceName} (incident 1)", mails[0].Subject);
        Assert.Contains($"{DocumentSources.Email} syncs {SourceName} again (incident 1 resolved)", mails[1].Subject);
        Assert.All(mails, mail => Assert.Equal(Operations.Split(';'), mail.To));
        Assert.Equal(["incident-opened", "incident-recovered"], _webhook.Received.Select(p => p.Json.GetProperty("kind").GetString()));
        ReliabilityReport.Record("R2", "IMAP (Dovecot): mails to operations across a 9-poll outage", $"{mails.Count}",
            "one alert, one recovery (3 ConnectorSyncFailed and 1 ConnectorSyncRecovered published)");
    }

    private static async Task DeliveredAsync(DaprSidecar sidecar, string topic, int count)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (sidecar.Deliveries.Count(d => d.Topic == topic && d.Outcome == DeliveryOutcome.Success) < count)
        {
            Assert.True(DateTime.UtcNow < deadline, $"{topic}: fewer than {count} deliveries answered with success in 60 s");
            await Task.Delay(50);
        }
    }

    private static byte[] Mail(string key) => TestCorpus.EmlWithAttachment(
        "Signalling <signalling@kmrl.example>", "Alice <alice@kmrl.example>",
        $"Inspection report {key}", $"Inspection report {key} attached.", key + ".pdf",
        TestCorpus.TextPdf($"R2 alert test document {key}", $"Track circuit inspection report {key}."));
}
