using System.Diagnostics.Metrics;

namespace Kmrl.Connectors.WhatsApp;

/// <summary>Counters of the WhatsApp connector (meter <c>Kmrl.Connectors.WhatsApp</c>).</summary>
public sealed class WhatsAppMetrics
{
    public const string MeterName = "Kmrl.Connectors.WhatsApp";

    private readonly Counter<long> _webhookItems;
    private readonly Counter<long> _rejectedWebhooks;
    private readonly Counter<long> _deadLettered;
    private readonly Counter<long> _downloadFailures;

    public WhatsAppMetrics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(MeterName);
        _webhookItems = meter.CreateCounter<long>("kmrl.whatsapp.webhook.items", "{item}", "Webhook messages and statuses by outcome.");
        _rejectedWebhooks = meter.CreateCounter<long>("kmrl.whatsapp.webhook.rejected", "{request}", "Webhook deliveries refused (signature, size, shape).");
        _deadLettered = meter.CreateCounter<long>("kmrl.whatsapp.media.dead_lettered", "{media}", "Media the source reports as never readable (retention, not-found, foreign-url), by reason.");
        _downloadFailures = meter.CreateCounter<long>("kmrl.whatsapp.media.download_failures", "{failure}", "Media API or download failures, by kind.");
    }

    /// <summary>Outcomes: accepted, duplicate, ignored-type, ignored-status, ignored-field, sender-not-allowed.</summary>
    public void WebhookItem(string outcome, string type) =>
        _webhookItems.Add(1, new KeyValuePair<string, object?>("outcome", outcome), new KeyValuePair<string, object?>("type", type));

    public void WebhookRejected(string reason) => _rejectedWebhooks.Add(1, new KeyValuePair<string, object?>("reason", reason));

    public void DeadLettered(string reason) => _deadLettered.Add(1, new KeyValuePair<string, object?>("reason", reason));

    public void DownloadFailed(string kind) => _downloadFailures.Add(1, new KeyValuePair<string, object?>("kind", kind));
}
