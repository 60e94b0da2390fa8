using Microsoft.Extensions.Options;

namespace Kmrl.Connectors.WhatsApp.Webhooks;

/// <summary>What one verified webhook delivery led to.</summary>
public sealed record WebhookIntakeResult(int Accepted, int Duplicates, int Ignored);

/// <summary>Turns a verified webhook payload into items of the host's inbox (which asks for a sync of the source).</summary>
public sealed class WebhookIntake(
    ISourceInbox inbox,
    WhatsAppMetrics metrics,
    TimeProvider time,
    IOptions<WhatsAppOptions> options,
    ILogger<WebhookIntake> logger)
{
    public async Task<WebhookIntakeResult> AcceptAsync(WebhookPayload payload, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var allowed = new HashSet<string>(settings.AllowedSenders, StringComparer.Ordinal);
        int accepted = 0, duplicates = 0, ignored = 0;
        var receivedAt = time.GetUtcNow();

        foreach (var change in (payload.Entry ?? []).SelectMany(e => e.Changes ?? []))
        {
            if (change.Field != "messages" || change.Value is null)
            {
                metrics.WebhookItem("ignored-field", change.Field ?? "none");
                ignored++;
                continue;
            }
            var value = change.Value;
            foreach (var status in value.Statuses ?? [])
            {
                metrics.WebhookItem("ignored-status", status.Status ?? "unknown");
                ignored++;
            }
            foreach (var message in value.Messages ?? [])
            {
                var type = message.Type ?? "unknown";
                var media = message.MediaOf(type);
                if (!settings.EffectiveAcceptedTypes.Contains(type) || media?.Id is null || message.Id is null || message.From is null)
                {
                    metrics.WebhookItem("ignored-type", type);
                    ignored++;
                    continue;
                }
                if (allowed.Count > 0 && !allowed.Contains(message.From))
                {
                    metrics.WebhookItem("sender-not-allowed", type);
                    logger.LogInformation("Ignoring {MessageType} message {MessageId}: sender is not on the allow-list", type, message.Id);
                    ignored++;
                    continue;
                }
                var contact = value.Contacts?.FirstOrDefault(c => c.WaId == message.From) ?? value.Contacts?.FirstOrDefault();
                var queued = new MediaMessage(
                    message.Id,
                    media.Id,
                    type,
                    media.MimeType,
                    media.Sha256,
                    media.FileName,
                    media.Caption,
                    message.From,
                    contact?.Profile?.Name,
                    value.Metadata?.PhoneNumberId ?? "",
                    value.Metadata?.DisplayPhoneNumber,
                    message.Timestamp is { } seconds ? DateTimeOffset.FromUnixTimeSeconds(seconds) : receivedAt,
                    receivedAt);
                if (await inbox.EnqueueAsync(settings.SourceName, queued.MessageId, queued, cancellationToken))
                {
                    metrics.WebhookItem("accepted", type);
                    accepted++;
                }
                else
                {
                    metrics.WebhookItem("duplicate", type);
                    duplicates++;
                }
            }
        }

        logger.LogInformation("Webhook accepted {Accepted} media messages ({Duplicates} duplicates, {Ignored} ignored)",
            accepted, duplicates, ignored);
        return new WebhookIntakeResult(accepted, duplicates, ignored);
    }
}
