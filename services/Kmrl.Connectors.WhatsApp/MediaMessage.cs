namespace Kmrl.Connectors.WhatsApp;

/// <summary>An inbound media message as the webhook described it: what the host's inbox keeps until it is downloaded.</summary>
/// <param name="MessageId">The <c>wamid</c>: the inbox item id, so redelivered webhooks are harmless.</param>
/// <param name="Sha256">The hash the webhook announced (Meta's examples show hex; base64 is accepted too).</param>
public sealed record MediaMessage(
    string MessageId,
    string MediaId,
    string MediaType,
    string? MimeType,
    string? Sha256,
    string? FileName,
    string? Caption,
    string From,
    string? ProfileName,
    string PhoneNumberId,
    string? DisplayPhoneNumber,
    DateTimeOffset Timestamp,
    DateTimeOffset ReceivedAt);
