using System.Text.Json.Serialization;
using Kmrl.Connectors;

namespace Kmrl.Connectors.WhatsApp.Media;

/// <summary>The answer of <c>GET /{version}/{media-id}</c>: a short-lived download URL and what it holds.</summary>
public sealed record MediaInfo(
    [property: JsonPropertyName("url")] Uri Url,
    [property: JsonPropertyName("mime_type")] string? MimeType,
    [property: JsonPropertyName("sha256")] string? Sha256,
    // Meta documents file_size as a string; numbers are read too.
    [property: JsonPropertyName("file_size"), JsonNumberHandling(JsonNumberHandling.AllowReadingFromString)] long? FileSize,
    [property: JsonPropertyName("id")] string? Id);

/// <summary>The media id is unknown to the API (expired or deleted): retrying will not help, so it is permanent for the host.</summary>
public sealed class MediaNotFoundException(string mediaId, string detail)
    : Exception($"Media {mediaId} is not available at the source: {detail}"), ISourceFailureKind
{
    public bool IsPermanent => true;
}

/// <summary>The short-lived download URL was refused (401/404): fetch a fresh one.</summary>
public sealed class MediaUrlExpiredException(int statusCode)
    : Exception($"The media download URL was refused with {statusCode}.");

/// <summary>The downloaded bytes do not hash to what WhatsApp announced.</summary>
public sealed class MediaHashMismatchException(string messageId)
    : IOException($"Media of message {messageId} does not match its announced SHA-256.");

/// <summary>
/// The Cloud API named a download URL (or a download redirected) outside the allowed https Meta hosts: the access
/// token is not sent there. Permanent: the same media answers the same way again.
/// </summary>
public sealed class MediaUrlNotAllowedException(Uri url)
    : Exception($"The media download URL is not on an allowed https host (WhatsApp:MediaHosts): {url.Scheme}://{url.Authority}"), ISourceFailureKind
{
    public bool IsPermanent => true;
}
