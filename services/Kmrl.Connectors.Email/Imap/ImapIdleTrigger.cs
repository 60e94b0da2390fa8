using Kmrl.Connectors.Email.Options;
using MailKit;
using MailKit.Net.Imap;
using Microsoft.Extensions.Logging;

namespace Kmrl.Connectors.Email.Imap;

/// <summary>
/// Watches one folder with IMAP IDLE on its own connection and asks the host for a sync when mail arrives.
/// IDLE is re-issued every <see cref="EmailConnectorOptions.IdleRestartInterval"/> (servers may drop it after
/// 30 minutes) and a lost connection is re-established with exponential backoff; the cron binding stays the safety net.
/// </summary>
public sealed partial class ImapIdleTrigger(
    MailboxOptions mailbox,
    string folder,
    EmailConnectorOptions options,
    ImapConnector connector,
    TimeProvider timeProvider,
    ILogger<ImapIdleTrigger> logger) : IPushTrigger
{
    public string SourceName => ImapFolderSource.SourceName(mailbox.Name, folder);

    public async Task WatchAsync(ISyncRequests syncRequests, CancellationToken cancellationToken)
    {
        var delay = options.IdleReconnectInitialDelay;
        var connectedBefore = false;
        var reportedNoIdle = false;
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                using var client = await connector.ConnectAsync(mailbox, cancellationToken);
                if (!client.Capabilities.HasFlag(ImapCapabilities.Idle))
                {
                    // The schedule covers this server; look again later in case it gains IDLE.
                    if (!reportedNoIdle)
                    {
                        LogNoIdle(logger, SourceName);
                        reportedNoIdle = true;
                    }
                    await client.DisconnectAsync(true, cancellationToken);
                    await Task.Delay(options.IdleReconnectMaxDelay, timeProvider, cancellationToken);
                    continue;
                }
                var imapFolder = await client.GetFolderAsync(folder, cancellationToken);
                await imapFolder.OpenAsync(FolderAccess.ReadOnly, cancellationToken);
                var known = imapFolder.Count;
                EventHandler<EventArgs> onCountChanged = (_, _) =>
                {
                    // EXISTS grows the count; EXPUNGE (our own move to Processed, say) shrinks it: only growth is news.
                    var now = imapFolder.Count;
                    if (now > known)
                    {
                        LogNewMail(logger, SourceName, now);
                        syncRequests.Request(SourceName);
                    }
                    known = now;
                };
                // Against Dovecot, CountChanged alone missed "EXPUNGE then EXISTS" (the count came back to the old value):
                // follow expunges too so the baseline is the current count.
                EventHandler<MessageEventArgs> onExpunged = (_, _) => known = imapFolder.Count;
                imapFolder.CountChanged += onCountChanged;
                imapFolder.MessageExpunged += onExpunged;
                try
                {
                    if (connectedBefore)
                    {
                        // Mail may have arrived while we were away.
                        syncRequests.Request(SourceName);
                    }
                    connectedBefore = true;
                    delay = options.IdleReconnectInitialDelay;
                    LogIdling(logger, SourceName);
                    while (!cancellationToken.IsCancellationRequested)
                    {
                        using var restart = new CancellationTokenSource(options.IdleRestartInterval, timeProvider);
                        // "done" ends this IDLE with DONE; then it is re-issued on the same connection.
                        await client.IdleAsync(restart.Token, cancellationToken);
                    }
                }
                finally
                {
                    imapFolder.CountChanged -= onCountChanged;
                    imapFolder.MessageExpunged -= onExpunged;
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception exception) when (!cancellationToken.IsCancellationRequested)
            {
                LogReconnecting(logger, exception, SourceName, delay);
            }

            try
            {
                await Task.Delay(delay, timeProvider, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, options.IdleReconnectMaxDelay.Ticks));
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Source {Source}: server has no IDLE, relying on the schedule")]
    private static partial void LogNoIdle(ILogger logger, string source);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Source {Source}: idling")]
    private static partial void LogIdling(ILogger logger, string source);

    [LoggerMessage(Level = LogLevel.Information, Message = "Source {Source}: folder now has {Count} message(s), requesting a sync")]
    private static partial void LogNewMail(ILogger logger, string source, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Source {Source}: IDLE connection failed, reconnecting in {Delay}")]
    private static partial void LogReconnecting(ILogger logger, Exception exception, string source, TimeSpan delay);
}
