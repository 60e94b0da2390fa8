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
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                using var client = await connector.ConnectAsync(mailbox, cancellationToken);
                if (!client.Capabilities.HasFlag(ImapCapabilities.Idle))
                {
                    LogNoIdle(logger, SourceName);
                    await client.DisconnectAsync(true, cancellationToken);
                    return;
                }
                var imapFolder = await client.GetFolderAsync(folder, cancellationToken);
                await imapFolder.OpenAsync(FolderAccess.ReadOnly, cancellationToken);
                EventHandler<EventArgs> onCountChanged = (_, _) =>
                {
                    LogNewMail(logger, SourceName, imapFolder.Count);
                    syncRequests.Request(SourceName);
                };
                imapFolder.CountChanged += onCountChanged;
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
