using Kmrl.BuildingBlocks.State;
using Kmrl.Contracts;
using Kmrl.Notifications.Ports;
using Microsoft.Extensions.Options;

namespace Kmrl.Notifications.Delivery;

/// <summary>One message on one channel: claimed before the send, marked sent after it.</summary>
public sealed record SendRecord(string MessageId, string Channel, DateTimeOffset ClaimedAt, string ClaimId, DateTimeOffset? SentAt);

/// <summary>
/// Sends each message once per channel, across redeliveries and replicas. Before a send the message is claimed in the
/// state store (the one optimistic update, <see cref="StateStoreUpdates"/>); after it, marked sent. A redelivered
/// event finds it sent and sends nothing; a failed send releases the claim and throws, so pub/sub retries it; a claim
/// whose holder died mid-send is taken over after <see cref="NotificationOptions.SendClaimTimeout"/>. The one gap
/// left is a crash between the send and the mark: then the message goes out a second time, which for an alert is
/// the better failure than none.
/// </summary>
public sealed partial class NotificationDispatcher(
    IStateStore store,
    IEnumerable<INotificationChannel> channels,
    IRecipientDirectory recipients,
    IOptions<NotificationOptions> options,
    TimeProvider time,
    ILogger<NotificationDispatcher> logger)
{
    private const int MaxAttempts = 16;
    private readonly IReadOnlyList<INotificationChannel> _channels = Select(channels, options.Value.Channels);

    public static string SendKey(string messageId, string channel) => $"sent:{StateKeyHash.Of(messageId)}:{channel}";

    /// <summary>Sends <paramref name="message"/> on every configured channel it was not sent on yet; returns how many sends happened.</summary>
    public async Task<int> SendOnceAsync(OutgoingMessage message, CancellationToken cancellationToken)
    {
        var addresses = await recipients.RecipientsOfAsync(message.Audience, cancellationToken);
        var sent = 0;
        foreach (var channel in _channels)
        {
            if (await SendOnceAsync(message, channel, addresses, cancellationToken))
            {
                sent++;
            }
        }
        return sent;
    }

    /// <summary>Whether the message went out on this channel now (false: it had already, or another replica is on it).</summary>
    private async Task<bool> SendOnceAsync(OutgoingMessage message, INotificationChannel channel, IReadOnlyList<string> addresses, CancellationToken cancellationToken)
    {
        var key = SendKey(message.MessageId, channel.Name);
        var claimId = Guid.NewGuid().ToString("N");
        var now = time.GetUtcNow();
        var timeout = options.Value.SendClaimTimeout;
        var (_, claimed) = await store.UpdateAsync<SendRecord>(key, current =>
            current is null || (current.SentAt is null && now - current.ClaimedAt > timeout)
                ? new SendRecord(message.MessageId, channel.Name, now, claimId, null)
                : null,
            MaxAttempts, cancellationToken);
        if (!claimed)
        {
            LogAlreadySent(logger, message.MessageId, channel.Name);
            return false;
        }
        try
        {
            await channel.SendAsync(message, addresses, cancellationToken);
        }
        catch (Exception exception)
        {
            LogSendFailed(logger, exception, message.MessageId, channel.Name);
            await store.DeleteAsync(key, CancellationToken.None);
            throw;
        }
        await store.UpdateAsync<SendRecord>(key, current =>
            current is { SentAt: null } && current.ClaimId == claimId ? current with { SentAt = time.GetUtcNow() } : null,
            MaxAttempts, CancellationToken.None);
        LogSent(logger, message.MessageId, message.Kind, message.Audience, channel.Name);
        return true;
    }

    private static List<INotificationChannel> Select(IEnumerable<INotificationChannel> channels, IReadOnlyList<string> names)
    {
        var byName = channels.ToDictionary(c => c.Name, StringComparer.Ordinal);
        return names.Select(name => byName.TryGetValue(name, out var channel) ? channel
            : throw new InvalidOperationException($"Notifications:Channels names '{name}', which is no known channel ({string.Join(", ", byName.Keys)}).")).ToList();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Message {MessageId} ({Kind}) to {Audience} sent on {Channel}")]
    private static partial void LogSent(ILogger logger, string messageId, string kind, string audience, string channel);

    [LoggerMessage(Level = LogLevel.Information, Message = "Message {MessageId} was already sent (or is being sent) on {Channel}; not sent again")]
    private static partial void LogAlreadySent(ILogger logger, string messageId, string channel);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Sending message {MessageId} on {Channel} failed; the claim is released for a retry")]
    private static partial void LogSendFailed(ILogger logger, Exception exception, string messageId, string channel);
}
