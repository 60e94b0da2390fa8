using System.Net;
using System.Runtime.CompilerServices;
using Kmrl.Connectors;
using Kmrl.Connectors.Ports;
using Kmrl.Connectors.Sync;
using Kmrl.Contracts;
using Kmrl.Dapr.Testing;
using Kmrl.ServiceDefaults;
using Kmrl.Testing.Servers;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace Kmrl.Notifications.Tests;

/// <summary>
/// Connector incidents reach a person, end to end on one sidecar double: the connector host on its production Dapr
/// adapters fails run after run, or dead-letters items run after run (stored in its dead-letter list and announced on
/// pub/sub), and notifications mails operations one alert through bindings.smtp to a real SMTP server on loopback,
/// posts the same as JSON to the webhook, and sends one recovery when the source runs again or has been quiet for the
/// clear period.
/// </summary>
public sealed class ConnectorIncidentEndToEndTests(RedisServer redis, ITestOutputHelper output) : IClassFixture<RedisServer>
{
    private const string Source = "ops-mailbox/INBOX";

    [Fact]
    public async Task A_source_that_dead_letters_items_run_after_run_mails_one_alert_and_one_recovery_an_hour_after_the_last()
    {
        // The connector host stamps its dead letters with the real clock; the notifications clock starts there and is moved on.
        await using var rig = await NotificationRig.StartAsync(redis, DateTimeOffset.UtcNow, output);
        var connectorSidecar = await rig.Environment.StartSidecarAsync(DaprNames.AppIds.EmailConnector);
        var source = new UnreadableMail(Source);
        await using var connector = BuildConnectorHost(connectorSidecar, source);
        var runner = connector.GetRequiredService<SyncRunner>();

        // Four runs, each finding two mails the source cannot parse: eight dead letters, each announced.
        for (var run = 0; run < 4; run++)
        {
            source.Arrive(2);
            Assert.Equal(SyncOutcome.Completed, (await runner.RunAsync(source, CancellationToken.None)).Outcome);
        }
        var announced = await rig.Environment.WaitForEventsAsync<ConnectorItemDeadLettered>(DaprNames.Topics.ConnectorItemDeadLettered, 8);
        Assert.Equal(8, (await connector.GetRequiredService<IDeadLetterLog>().ListAsync(DocumentSources.Email, CancellationToken.None)).Count);
        await rig.DeliveredAsync(DaprNames.Topics.ConnectorItemDeadLettered, 8);

        var alert = Assert.Single(await rig.Smtp.WaitForAsync(1));
        Assert.Equal("[KMRL] email is giving up on items of ops-mailbox/INBOX (incident 1)", alert.Subject);
        Assert.Equal(NotificationRig.Operations.Split(';'), alert.To);
        Assert.Contains("GET /connector/dead-letters", alert.Html);
        Assert.Contains("INBOX/1: mail-1.eml: the IMAP client cannot parse this mail, after 3 attempts", alert.Html);

        // A redelivered announcement sends nothing and is not counted again.
        await rig.PublishAsync(DaprNames.Topics.ConnectorItemDeadLettered, announced[0]);
        await rig.DeliveredAsync(DaprNames.Topics.ConnectorItemDeadLettered, 9);
        Assert.Single(rig.Smtp.Received);

        // 59 minutes after the last dead letter it is still an incident; after the hour it has cleared.
        var last = announced.Max(a => a.DeadLetteredAt);
        rig.Time.SetUtcNow(last.AddMinutes(59));
        Assert.Equal(0, await TickAsync(rig));
        rig.Time.SetUtcNow(last.AddMinutes(61));
        Assert.Equal(2, await TickAsync(rig)); // mail and webhook
        Assert.Equal(0, await TickAsync(rig));
        var mails = await rig.Smtp.WaitForAsync(2);
        Assert.Equal("[KMRL] email no longer gives up on items of ops-mailbox/INBOX (incident 1 resolved)", mails[1].Subject);
        Assert.Contains("(8 dead letters since", mails[1].Html);

        // The webhook got the same two messages, as JSON.
        var posts = (await rig.Webhook.WaitForAsync(2)).Select(p => p.Json).ToList();
        Assert.Equal(["incident-opened", "incident-recovered"], posts.Select(p => p.GetProperty("kind").GetString()));
        Assert.Equal(mails.Select(m => m.Subject), posts.Select(p => p.GetProperty("title").GetString()));

        // A dead letter from before the recovery, arriving late, changes nothing; a new one opens incident 2.
        await rig.PublishAsync(DaprNames.Topics.ConnectorItemDeadLettered, announced[^1] with { DeadLetterId = "late", DeadLetteredAt = last.AddMinutes(1) });
        await rig.PublishAsync(DaprNames.Topics.ConnectorItemDeadLettered, announced[^1] with { DeadLetterId = "next", DeadLetteredAt = last.AddMinutes(90) });
        await rig.DeliveredAsync(DaprNames.Topics.ConnectorItemDeadLettered, 11);
        var third = await rig.Smtp.WaitForAsync(3);
        Assert.Equal("[KMRL] email is giving up on items of ops-mailbox/INBOX (incident 2)", third[2].Subject);
        Assert.Equal(3, rig.Smtp.Received.Count);
    }

    [Fact]
    public async Task A_mailbox_that_goes_down_for_many_runs_of_the_connector_host_mails_exactly_one_alert_and_one_recovery()
    {
        await using var rig = await NotificationRig.StartAsync(redis, DateTimeOffset.UtcNow, output);
        var connectorSidecar = await rig.Environment.StartSidecarAsync(DaprNames.AppIds.EmailConnector);
        var mailbox = new UnreadableMail(Source) { Down = true };
        await using var connector = BuildConnectorHost(connectorSidecar, mailbox, new Dictionary<string, string?>
        {
            // One listing attempt per run, so each run is one failed run; the production retry delay is not waited for.
            ["Connector:MaxReadAttempts"] = "1",
        });
        var runner = connector.GetRequiredService<SyncRunner>();

        // Ten failed runs: the host announces the third, sixth and ninth; operations get one mail, the webhook one post.
        for (var run = 0; run < 10; run++)
        {
            Assert.Equal(SyncOutcome.Failed, (await runner.RunAsync(mailbox, CancellationToken.None)).Outcome);
        }
        Assert.Equal([3, 6, 9], (await rig.Environment.WaitForEventsAsync<ConnectorSyncFailed>(DaprNames.Topics.ConnectorSyncFailed, 3))
            .Select(f => f.ConsecutiveFailures));
        await rig.DeliveredAsync(DaprNames.Topics.ConnectorSyncFailed, 3);
        var alert = Assert.Single(await rig.Smtp.WaitForAsync(1));
        Assert.Equal("[KMRL] email cannot sync ops-mailbox/INBOX (incident 1)", alert.Subject);
        Assert.Contains("AuthenticationException: the mailbox refused the password", alert.Html);

        // The mailbox is back: the next run completes, and the recovery goes out once.
        mailbox.Down = false;
        Assert.Equal(SyncOutcome.Completed, (await runner.RunAsync(mailbox, CancellationToken.None)).Outcome);
        Assert.Equal(SyncOutcome.Completed, (await runner.RunAsync(mailbox, CancellationToken.None)).Outcome);
        await rig.DeliveredAsync(DaprNames.Topics.ConnectorSyncRecovered, 1);
        var mails = await rig.Smtp.WaitForAsync(2);
        Assert.Equal(2, mails.Count);
        Assert.Equal("[KMRL] email syncs ops-mailbox/INBOX again (incident 1 resolved)", mails[1].Subject);
        Assert.Contains("after 10 failed runs", mails[1].Html);
        var posts = (await rig.Webhook.WaitForAsync(2)).Select(p => p.Json).ToList();
        Assert.Equal(["incident-opened", "incident-recovered"], posts.Select(p => p.GetProperty("kind").GetString()));
        Assert.Equal(2, rig.Smtp.Received.Count);
    }

    /// <summary>The connector host as a connector app composes it (AddConnectorHost), on the given sidecar.</summary>
    private static ServiceProvider BuildConnectorHost(DaprSidecar sidecar, IDocumentSource source, Dictionary<string, string?>? settings = null)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings ?? []).Build();
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddConnectorHost(configuration, DocumentSources.Email, DaprNames.Bindings.EmailSchedule);
        services.AddSingleton(new global::Dapr.Client.DaprClientBuilder()
            .UseGrpcEndpoint(sidecar.GrpcEndpoint).UseHttpEndpoint(sidecar.HttpEndpoint)
            .UseJsonSerializationOptions(KmrlJson.Options).Build());
        services.AddSingleton<IDocumentSource>(source);
        return services.BuildServiceProvider();
    }

    private static async Task<int> TickAsync(NotificationRig rig)
    {
        var before = rig.Smtp.Received.Count + rig.Webhook.Received.Count;
        Assert.Equal(HttpStatusCode.OK, await rig.Sidecar.FireCronAsync(DaprNames.NotificationBindings.Schedule));
        return rig.Smtp.Received.Count + rig.Webhook.Received.Count - before;
    }

    /// <summary>A mailbox whose new mails the client cannot parse: each is a <see cref="SourceUnreadable"/>, then a checkpoint past it.</summary>
    private sealed class UnreadableMail(string name) : IDocumentSource
    {
        private int _arrived;

        public string Name => name;

        /// <summary>The server refuses the login: every listing fails, as MailKit's does.</summary>
        public bool Down { get; set; }

        public void Arrive(int count) => Interlocked.Add(ref _arrived, count);

        public async IAsyncEnumerable<SourceChange> ReadChangesAsync(string? checkpoint, [EnumeratorCancellation] CancellationToken cancellationToken)
        {
            await Task.Yield();
            if (Down)
            {
                throw new System.Security.Authentication.AuthenticationException("the mailbox refused the password");
            }
            var arrived = Volatile.Read(ref _arrived);
            for (var uid = checkpoint is null ? 1 : int.Parse(checkpoint, System.Globalization.CultureInfo.InvariantCulture) + 1; uid <= arrived; uid++)
            {
                yield return new SourceUnreadable($"INBOX/{uid}", $"mail-{uid}.eml: the IMAP client cannot parse this mail", 3, new Dictionary<string, string>());
                yield return new SourceCheckpoint(uid.ToString(System.Globalization.CultureInfo.InvariantCulture));
            }
        }
    }
}
