namespace Kmrl.Connectors.WhatsApp.Pending;

/// <summary>An inbound media message waiting to be downloaded, as the webhook described it.</summary>
/// <param name="MessageId">The <c>wamid</c>; the key that makes redelivered webhooks harmless.</param>
/// <param name="Sha256">The hash the webhook announced (Meta's examples show hex; base64 is accepted too).</param>
public sealed record PendingMedia(
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

public enum PendingMediaStatus
{
    Pending,
    Done,
    DeadLettered,
}

/// <summary>A pending item with its processing state.</summary>
public sealed record PendingMediaEntry(
    PendingMedia Media,
    PendingMediaStatus Status,
    int Attempts = 0,
    string? LastError = null,
    string? DeadLetterReason = null);
