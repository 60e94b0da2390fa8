using Kmrl.Testing.Fakes;

namespace Kmrl.Reliability.Tests.BadInput;

/// <summary>
/// One WhatsApp webhook delivery as sent (body, signature header), the message it carries if any, and how often;
/// <see cref="ForeignHost"/> is a host the access token must never reach while this delivery is handled.
/// </summary>
public sealed record WebhookDelivery(string Body, string? Signature, string? MessageId, int Times = 1, string? ForeignHost = null);

/// <summary>
/// One bad-input case against whatsapp-connector: <see cref="Prepare"/> registers media at the fake Cloud API and
/// builds the delivery; <see cref="Expected"/> is the named outcome the connector is designed to give.
/// </summary>
public sealed record WebhookCase(string Name, string Expected, Func<FakeCloudApi, WebhookDelivery> Prepare);
