extern alias email;
extern alias maximo;

using System.Diagnostics;
using System.Globalization;
using System.Net;
using Kmrl.Connectors.Apis;
using Kmrl.Connectors.Sync;
using Kmrl.Contracts;
using Kmrl.Dapr.Testing;
using Kmrl.Reliability.Tests.Support;
using Kmrl.Testing.Documents;
using Kmrl.Testing.Servers;
using MimeKit;
using Xunit.Abstractions;

namespace Kmrl.Reliability.Tests.Outages;

/// <summary>
/// R2, outage (issue 11): the production email connector over a real Dovecot and the production Maximo connector
/// over a real pure-ftpd export folder, each on the test Dapr sidecar. After a first sync the server is stopped
/// for three polls: every poll fails, health turns Degraded at the third, ConnectorSyncFailed is published and the
/// stored checkpoint does not move. The server comes back with documents that arrived meanwhile; the next poll
/// recovers health and discovers each new document exactly once, and none of the old ones again.
/// </summary>
public sealed class OutageTests(DovecotImapServer dovecot, PureFtpServer ftp, RedisServer redis, ITestOutputHelper output)
    : IClassFixture<DovecotImapServer>, IClassFixture<PureFtpServer>, IClassFixture<RedisServer>
{
    private const int FailedPolls = 3;
    private const string MailUser = "alice";
    private const string MailFolder = "R2";
    private const string ExportFolder = "/r2";
    private static readonly TimeSpan RunTimeout = TimeSpan.FromSeconds(90);

    // Each failed poll tries the listing twice, 0.2-0.4 s apart, instead of five times over ~15 s: the outcome is
    // the same failed run, sooner.
    private static readonly Dictionary<string, string> FastFailure = new()
    {
        ["Connector:MaxReadAttempts"] = "2",
        ["Connector:RetryBaseDelay"] = "00:00:00.2",
        ["Connector:RetryMaxDelay"] = "00:00:01",
    };

    [Fact]
    public async Task An_imap_server_down_for_three_polls_degrades_health_holds_the_checkpoint_and_is_caught_up_after_its_restart()
    {
        await dovecot.EnsureFolderAsync(MailUser, MailFolder);
        await RunOutageAsync(new OutageScenario(
            Server: "IMAP (Dovecot)",
            AppId: DaprNames.AppIds.EmailConnector,
            ScheduleBinding: DaprNames.Bindings.EmailSchedule,
            SourceName: $"r2/{MailFolder}",
            Secrets: options => options.Secrets["email-ops-mailbox"] = new Dictionary<string, object> { ["password"] = dovecot.Users[MailUser] },
            StartConnectorAsync: async sidecar =>
            {
                var app = await sidecar.StartAppAsync<email::Program>(new Dictionary<string, string>(FastFailure)
                {
                    ["Email:Mailboxes:0:Name"] = "r2",
                    ["Email:Mailboxes:0:Host"] = dovecot.Host,
                    ["Email:Mailboxes:0:Port"] = dovecot.Port.ToString(CultureInfo.InvariantCulture),
                    ["Email:Mailboxes:0:Tls"] = "None",
                    ["Email:Mailboxes:0:AllowInsecureConnection"] = "true",
                    ["Email:Mailboxes:0:UserName"] = MailUser,
                    ["Email:Mailboxes:0:Secret"] = "email-ops-mailbox",
                    ["Email:Mailboxes:0:Folders:0"] = MailFolder,
                    ["Email:Mailboxes:0:PostProcessing"] = "Leave",
                });
                return new RunningConnector(app.ClientOptions.BaseAddress, app);
            },
            AddDocumentAsync: async key => await dovecot.DeliverAsync(MailUser, Mail(key), MailFolder),
            StopServerAsync: dovecot.StopAsync,
            RestartServerAsync: dovecot.RestartAsync,
            // doveadm save needs Dovecot's auth service: mail that came in during the outage waits at the MTA and
            // is delivered once the server is back, before the next poll.
            CanReceiveWhileDown: false));
    }

    [Fact]
    public async Task An_ftp_server_down_for_three_polls_degrades_health_holds_the_checkpoint_and_is_caught_up_after_its_restart()
    {
        await RunOutageAsync(new OutageScenario(
            Server: "FTP (pure-ftpd)",
            AppId: DaprNames.AppIds.MaximoConnector,
            ScheduleBinding: DaprNames.Bindings.MaximoSchedule,
            SourceName: "r2-exports",
            Secrets: options => options.AllowSecrets(DaprNames.AppIds.MaximoConnector, "maximo-export").Secrets["maximo-export"] = new Dictionary<string, object> { ["password"] = ftp.Password },
            StartConnectorAsync: async sidecar =>
            {
                var app = await sidecar.StartAppAsync<maximo::Program>(new Dictionary<string, string>(FastFailure)
                {
                    ["Maximo:ExportFolders:0:Name"] = "r2-exports",
                    ["Maximo:ExportFolders:0:Folder"] = ExportFolder,
                    ["Maximo:ExportFolders:0:DoneMarkerSuffix"] = ".done",
                    ["Maximo:ExportFolders:0:Server:Protocol"] = "Ftp",
                    ["Maximo:ExportFolders:0:Server:AllowInsecureFtp"] = "true",
                    ["Maximo:ExportFolders:0:Server:Host"] = ftp.Host,
                    ["Maximo:ExportFolders:0:Server:Port"] = ftp.Port.ToString(CultureInfo.InvariantCulture),
                    ["Maximo:ExportFolders:0:Server:UserName"] = ftp.User,
                    ["Maximo:ExportFolders:0:Server:Secret"] = "maximo-export",
                });
                return new RunningConnector(app.ClientOptions.BaseAddress, app);
            },
            // Maximo writes its exports into the folder whether or not the FTP service is up.
            AddDocumentAsync: async key =>
            {
                await ftp.SeedFileAsync($"{ExportFolder.TrimStart('/')}/{key}.pdf", Pdf(key));
                await ftp.SeedFileAsync($"{ExportFolder.TrimStart('/')}/{key}.pdf.done", []);
            },
            StopServerAsync: ftp.StopAsync,
            RestartServerAsync: ftp.RestartAsync,
            CanReceiveWhileDown: true));
    }

    private async Task RunOutageAsync(OutageScenario scenario)
    {
        string[] before = ["before-1", "before-2", "before-3"];
        string[] duringOutage = ["down-1", "down-2"];
        foreach (var key in before)
        {
            await scenario.AddDocumentAsync(key);
        }

        await using var environment = await DaprTestEnvironment.StartAsync(redis, options =>
        {
            scenario.Secrets(options);
            OperatorAccess.Grant(options);
            options.Log = output.WriteLine;
        });
        var sidecar = await environment.StartSidecarAsync(scenario.AppId);
        var connector = await scenario.StartConnectorAsync(sidecar);
        await using var _ = connector.App;
        using var http = OperatorAccess.Client(connector.Address, TimeSpan.FromSeconds(30));
        var probe = new ConnectorProbe(http);

        // First sync, server up.
        Assert.Equal(HttpStatusCode.OK, await sidecar.FireCronAsync(scenario.ScheduleBinding));
        var run = await probe.WaitForRunAsync(scenario.SourceName, null, RunTimeout);
        Assert.Equal(SyncOutcome.Completed, run.Outcome);
        Assert.Equal(before.Length, (await DiscoveredAsync(environment, before.Length)).Count);
        var checkpointBefore = (await probe.SourceAsync(scenario.SourceName)).Checkpoint;
        Assert.NotNull(checkpointBefore);
        Assert.Equal(("Healthy", "Healthy"), await probe.HealthAsync());

        // The outage: three polls, each failing.
        await scenario.StopServerAsync();
        var outage = Stopwatch.StartNew();
        var healthDuringOutage = new List<string>();
        if (scenario.CanReceiveWhileDown)
        {
            foreach (var key in duringOutage)
            {
                await scenario.AddDocumentAsync(key);
            }
        }
        for (var poll = 1; poll <= FailedPolls; poll++)
        {
            Assert.Equal(HttpStatusCode.OK, await sidecar.FireCronAsync(scenario.ScheduleBinding));
            run = await probe.WaitForRunAsync(scenario.SourceName, run.RunId, RunTimeout);
            var status = await probe.SourceAsync(scenario.SourceName);
            var health = await probe.HealthAsync();
            healthDuringOutage.Add($"poll {poll}: {run.Outcome}, {status.ConsecutiveFailures} in a row, health {health.Overall} (connector-sync {health.ConnectorSync})");
            output.WriteLine($"{scenario.Server} down, {healthDuringOutage[^1]}: {run.Error}");

            Assert.Equal(SyncOutcome.Failed, run.Outcome);
            Assert.Equal(poll, status.ConsecutiveFailures);
            AssertSameCheckpoint(checkpointBefore, status.Checkpoint);
            // Degraded exactly from the DegradedAfterConsecutiveFailures-th failure (3, the default) on.
            var expected = poll < FailedPolls ? "Healthy" : "Degraded";
            Assert.Equal((expected, expected), health);
        }
        var alerts = await environment.WaitForEventsAsync<ConnectorSyncFailed>(DaprNames.Topics.ConnectorSyncFailed, 1);
        var alert = Assert.Single(alerts);
        Assert.Equal(scenario.SourceName, alert.Source);
        Assert.Equal(FailedPolls, alert.ConsecutiveFailures);
        Assert.False(string.IsNullOrWhiteSpace(alert.Error));
        Assert.Equal(before.Length, (await environment.PublishedAsync(DaprNames.Topics.DocumentDiscovered)).Count);

        // The server comes back; the next poll recovers.
        await scenario.RestartServerAsync();
        var downFor = outage.Elapsed;
        var recovery = Stopwatch.StartNew();
        if (!scenario.CanReceiveWhileDown)
        {
            foreach (var key in duringOutage)
            {
                await scenario.AddDocumentAsync(key);
            }
        }
        Assert.Equal(HttpStatusCode.OK, await sidecar.FireCronAsync(scenario.ScheduleBinding));
        // IMAP IDLE reconnects on its own and may start the catch-up run before the tick does: either is recovery.
        run = await probe.WaitForRunAsync(scenario.SourceName, run.RunId, RunTimeout, r => r.Outcome == SyncOutcome.Completed);
        var caughtUp = await DiscoveredAsync(environment, before.Length + duringOutage.Length);
        var recovered = recovery.Elapsed;
        var healthAfter = await probe.HealthAsync();
        var statusAfter = await probe.SourceAsync(scenario.SourceName);

        // One more poll must find nothing: no re-publication of what was already handed on. A run already going
        // (IDLE's) finishes first; the tick's own run is the one that starts after it.
        var quietRequested = DateTimeOffset.UtcNow;
        Assert.Equal(HttpStatusCode.OK, await sidecar.FireCronAsync(scenario.ScheduleBinding));
        var quiet = await probe.WaitForRunAsync(scenario.SourceName, run.RunId, RunTimeout, r => r.StartedAt >= quietRequested);
        var final = await DiscoveredAsync(environment, 0);

        output.WriteLine($"{scenario.Server}: down {downFor.TotalSeconds:F1} s for {FailedPolls} failed polls; recovered {recovered.TotalSeconds:F1} s after the restart; " +
            $"{final.Count - before.Length} documents caught up; health after: {healthAfter.Overall}");
        ReliabilityReport.Record("R2", $"{scenario.Server}: polls failed during the outage", FailedPolls.ToString(CultureInfo.InvariantCulture),
            $"each failed; Degraded from the {FailedPolls}rd; checkpoint unchanged; ConnectorSyncFailed published");
        ReliabilityReport.Record("R2", $"{scenario.Server}: health during the outage", string.Join("; ", healthDuringOutage), "Healthy, Healthy, Degraded");
        ReliabilityReport.Record("R2", $"{scenario.Server}: time from restart to a completed sync", $"{recovered.TotalSeconds:F1} s", "bounded (next poll)");
        ReliabilityReport.Record("R2", $"{scenario.Server}: documents caught up after the restart", $"{final.Count - before.Length} of {duringOutage.Length}",
            $"{duringOutage.Length}, each once; 0 old ones again");

        Assert.Equal(("Healthy", "Healthy"), healthAfter);
        Assert.Equal(0, statusAfter.ConsecutiveFailures);
        Assert.NotEqual(checkpointBefore.SavedAt, statusAfter.Checkpoint!.SavedAt);
        Assert.Equal(SyncOutcome.Completed, quiet.Outcome);
        Assert.Equal(0, quiet.Counts.Discovered);
        Assert.Equal(caughtUp.Count, final.Count);
        var perFile = final.GroupBy(d => d.FileName, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        Assert.Equal(before.Concat(duringOutage).Select(key => key + ".pdf").Order(StringComparer.Ordinal), perFile.Keys.Order(StringComparer.Ordinal));
        Assert.All(perFile, file => Assert.Equal(1, file.Value));
        Assert.Equal(final.Count, final.Select(d => d.SourceId).Distinct(StringComparer.Ordinal).Count());
    }

    private static void AssertSameCheckpoint(CheckpointSummary expected, CheckpointSummary? actual)
    {
        Assert.NotNull(actual);
        Assert.True(actual.FromStore);
        Assert.Equal(expected.SavedAt, actual.SavedAt);
        Assert.Equal(expected.RunId, actual.RunId);
        Assert.Equal(expected.ValueLength, actual.ValueLength);
        Assert.Equal(expected.ValuePreview, actual.ValuePreview);
    }

    private static Task<IReadOnlyList<DocumentDiscovered>> DiscoveredAsync(DaprTestEnvironment environment, int atLeast) =>
        environment.WaitForEventsAsync<DocumentDiscovered>(DaprNames.Topics.DocumentDiscovered, atLeast, TimeSpan.FromSeconds(60));

    private static byte[] Pdf(string key) =>
        TestCorpus.TextPdf($"R2 outage test document {key}", $"Track circuit inspection report {key}, Aluva to Pettah.");

    private static byte[] Mail(string key) => TestCorpus.EmlWithAttachment(
        "Signalling <signalling@kmrl.example>", "Alice <alice@kmrl.example>",
        $"Inspection report {key}", $"Inspection report {key} attached.", key + ".pdf", Pdf(key));
}
