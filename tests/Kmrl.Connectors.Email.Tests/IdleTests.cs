using System.Diagnostics;
using Kmrl.Connectors.Email.Imap;
using Kmrl.Connectors.Email.Tests.Support;
using Kmrl.Testing.Servers;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit.Abstractions;

namespace Kmrl.Connectors.Email.Tests;

public sealed class IdleTests(DovecotImapServer dovecot, ITestOutputHelper output) : IClassFixture<DovecotImapServer>
{
    private static ImapIdleTrigger Trigger(ImapTestContext context, string folder) =>
        new(context.Mailbox(folder), folder, context.Options, context.Connector, TimeProvider.System, NullLogger<ImapIdleTrigger>.Instance);

    private static Task WaitForClientLineAsync(ImapTestContext context, Func<string, bool> predicate, int occurrences = 1)
    {
        var seen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var count = 0;
        context.Clients.OnCreated = logger => logger.ClientLine += line =>
        {
            if (predicate(line) && Interlocked.Increment(ref count) >= occurrences)
            {
                seen.TrySetResult();
            }
        };
        return seen.Task;
    }

    [Fact]
    public async Task A_message_delivered_while_idle_requests_a_sync_within_seconds()
    {
        await using var context = new ImapTestContext(dovecot);
        const string folder = "Idle";
        await dovecot.EnsureFolderAsync(context.User, folder);
        var idling = WaitForClientLineAsync(context, line => line.EndsWith(" IDLE", StringComparison.Ordinal));
        var requests = new RecordingSyncRequests();
        using var stop = new CancellationTokenSource();
        var watch = Trigger(context, folder).WatchAsync(requests, stop.Token);
        await idling.WaitAsync(TimeSpan.FromSeconds(10));

        var beforeDelivery = Stopwatch.GetTimestamp();
        await context.DeliverAsync(folder, Corpus.WithAttachments("idle", Corpus.Attachment("i.pdf", "application/pdf", Corpus.Bytes("i", 100))));
        var delivered = Stopwatch.GetTimestamp();
        var requested = await requests.WaitAsync(TimeSpan.FromSeconds(10));
        await stop.CancelAsync();
        await watch.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.True(requested, "no sync was requested after the delivery");
        var (source, at) = requests.Requests[0];
        Assert.Equal($"{ImapTestContext.MailboxName}/{folder}", source);
        output.WriteLine($"IDLE latency: {Stopwatch.GetElapsedTime(delivered, at).TotalMilliseconds:F0} ms after doveadm save returned, " +
            $"{Stopwatch.GetElapsedTime(beforeDelivery, at).TotalMilliseconds:F0} ms after it started");
        // Loose bound on purpose: the figure is reported above; the cron tick it replaces is 10 minutes.
        Assert.True(Stopwatch.GetElapsedTime(delivered, at) < TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task Mail_leaving_the_folder_does_not_request_a_sync()
    {
        await using var context = new ImapTestContext(dovecot);
        const string folder = "IdleExpunge";
        var message = Corpus.NoDocuments();
        await context.DeliverAsync(folder, message);
        var idling = WaitForClientLineAsync(context, line => line.EndsWith(" IDLE", StringComparison.Ordinal));
        var requests = new RecordingSyncRequests();
        using var stop = new CancellationTokenSource();
        var watch = Trigger(context, folder).WatchAsync(requests, stop.Token);
        await idling.WaitAsync(TimeSpan.FromSeconds(10));

        // Our own after-commit move expunges from the watched folder: that must not wake another sync.
        using (var mover = new MailKit.Net.Imap.ImapClient())
        {
            await mover.ConnectAsync(dovecot.Host, dovecot.Port, MailKit.Security.SecureSocketOptions.None);
            await mover.AuthenticateAsync(context.User, dovecot.Users[context.User]);
            var source = await mover.GetFolderAsync(folder);
            await source.OpenAsync(MailKit.FolderAccess.ReadWrite);
            await source.MoveToAsync(new MailKit.UniqueId(1), await mover.GetFolderAsync(DovecotImapServer.ProcessedFolder));
        }
        var requested = await requests.WaitAsync(TimeSpan.FromSeconds(2));
        await context.DeliverAsync(folder, Corpus.NoDocuments());
        var requestedAfterNewMail = await requests.WaitAsync(TimeSpan.FromSeconds(10));
        await stop.CancelAsync();
        await watch.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.False(requested, "an expunge requested a sync");
        Assert.True(requestedAfterNewMail, "new mail after the expunge requested no sync:\n" + string.Join("\n", context.Clients.Loggers[0].ServerLines.TakeLast(15)));
        Assert.Single(requests.Requests);
    }

    [Fact]
    public async Task Idle_is_reissued_when_the_restart_interval_elapses()
    {
        await using var context = new ImapTestContext(dovecot);
        context.Options.IdleRestartInterval = TimeSpan.FromMilliseconds(300);
        const string folder = "IdleRestart";
        await dovecot.EnsureFolderAsync(context.User, folder);
        var threeIdles = WaitForClientLineAsync(context, line => line.EndsWith(" IDLE", StringComparison.Ordinal), occurrences: 3);
        using var stop = new CancellationTokenSource();
        var watch = Trigger(context, folder).WatchAsync(new RecordingSyncRequests(), stop.Token);

        await threeIdles.WaitAsync(TimeSpan.FromSeconds(10));
        await stop.CancelAsync();
        await watch.WaitAsync(TimeSpan.FromSeconds(10));

        var sent = context.Clients.AllClientLines;
        Assert.True(sent.Count(line => line == "DONE") >= 2);
        // One connection did it all: re-issuing IDLE does not reconnect.
        Assert.Single(context.Clients.Loggers);
    }
}

/// <summary>Outage tests stop the server, so they get a Dovecot of their own.</summary>
public sealed class IdleReconnectTests(DovecotImapServer dovecot) : IClassFixture<DovecotImapServer>
{
    [Fact]
    public async Task The_watcher_reconnects_after_the_server_restarts_and_asks_for_a_catch_up_sync()
    {
        await using var context = new ImapTestContext(dovecot);
        context.Options.IdleReconnectInitialDelay = TimeSpan.FromMilliseconds(200);
        context.Options.IdleReconnectMaxDelay = TimeSpan.FromSeconds(1);
        const string folder = "INBOX";
        var idles = 0;
        var firstIdle = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var secondIdle = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        context.Clients.OnCreated = logger => logger.ClientLine += line =>
        {
            if (line.EndsWith(" IDLE", StringComparison.Ordinal))
            {
                (Interlocked.Increment(ref idles) == 1 ? firstIdle : secondIdle).TrySetResult();
            }
        };
        var requests = new RecordingSyncRequests();
        using var stop = new CancellationTokenSource();
        var trigger = new ImapIdleTrigger(context.Mailbox(folder), folder, context.Options, context.Connector, TimeProvider.System,
            NullLogger<ImapIdleTrigger>.Instance);
        var watch = trigger.WatchAsync(requests, stop.Token);
        await firstIdle.Task.WaitAsync(TimeSpan.FromSeconds(10));

        await dovecot.StopAsync();
        await Task.Delay(500);
        await dovecot.RestartAsync();
        await secondIdle.Task.WaitAsync(TimeSpan.FromSeconds(20));
        await stop.CancelAsync();
        await watch.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.True(context.Clients.Loggers.Count >= 2);
        Assert.Contains(requests.Requests, request => request.Source == $"{ImapTestContext.MailboxName}/{folder}");
    }
}
