using System.Text.Json.Serialization;

namespace Kmrl.Connectors.WhatsApp.Webhooks;

// The shape Meta documents for the WhatsApp Business Account "messages" webhook; unknown fields are ignored.

public sealed record WebhookPayload(
    [property: JsonPropertyName("object")] string? Object,
    [property: JsonPropertyName("entry")] List<WebhookEntry>? Entry);

public sealed record WebhookEntry(
    [property: JsonPropertyName("id")] string? Id,
    [property: JsonPropertyName("changes")] List<WebhookChange>? Changes);

public sealed record WebhookChange(
    [property: JsonPropertyName("field")] string? Field,
    [property: JsonPropertyName("value")] WebhookValue? Value);

public sealed record WebhookValue(
    [property: JsonPropertyName("messaging_product")] string? MessagingProduct,
    [property: JsonPropertyName("metadata")] WebhookMetadata? Metadata,
    [property: JsonPropertyName("contacts")] List<WebhookContact>? Contacts,
    [property: JsonPropertyName("messages")] List<WebhookMessage>? Messages,
    [property: JsonPropertyName("statuses")] List<WebhookStatus>? Statuses);

public sealed record WebhookMetadata(
    [property: JsonPropertyName("display_phone_number")] string? DisplayPhoneNumber,
    [property: JsonPropertyName("phone_number_id")] string? PhoneNumberId);

public sealed record WebhookContact(
    [property: JsonPropertyName("wa_id")] string? WaId,
    [property: JsonPropertyName("profile")] WebhookProfile? Profile);

public sealed record WebhookProfile([property: JsonPropertyName("name")] string? Name);

public sealed record WebhookMessage(
    [property: JsonPropertyName("from")] string? From,
    [property: JsonPropertyName("id")] string? Id,
    // Meta sends the Unix time as a string.
    [property: JsonPropertyName("timestamp"), JsonNumberHandling(JsonNumberHandling.AllowReadingFromString)] long? Timestamp,
    [property: JsonPropertyName("type")] string? Type,
    [property: JsonPropertyName("document")] WebhookMedia? Document,
    [property: JsonPropertyName("image")] WebhookMedia? Image,
    [property: JsonPropertyName("video")] WebhookMedia? Video,
    [property: JsonPropertyName("audio")] WebhookMedia? Audio)
{
    public WebhookMedia? MediaOf(string type) => type switch
    {
        "document" => Document,
        "image" => Image,
        "video" => Video,
        "audio" => Audio,
        _ => null,
    };
}

public sealed record WebhookMedia(
    [property: JsonPropertyName("id")] string? Id,
    [property: JsonPropertyName("mime_type")] string? MimeType,
    [property: JsonPropertyName("sha256")] string? Sha256,
    [property: JsonPropertyName("filename")] string? FileName,
    [property: JsonPropertyName("caption")] string? Caption);

public sealed record WebhookStatus(
    [property: JsonPropertyName("id")] string? Id,
    [property: JsonPropertyName("status")] string? Status);
