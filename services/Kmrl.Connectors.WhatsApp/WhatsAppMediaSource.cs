using System.Globalization;
using System.Text.Json;
using Kmrl.Connectors.WhatsApp.Media;
using Microsoft.Extensions.Options;

namespace Kmrl.Connectors.WhatsApp;

/// <summary>
/// The WhatsApp source. The Cloud API cannot list received messages, so the webhook leaves each media message in the
/// host's inbox and the host drains it: this turns one message into a document whose content is looked up and
/// downloaded when the host opens it, so a failing lookup or download gets the host's attempts and dead letter.
/// </summary>
public sealed class WhatsAppMediaSource(
    IWhatsAppMediaApi api,
    WhatsAppMetrics metrics,
    TimeProvider time,
    IOptions<WhatsAppOptions> options,
    ILogger<WhatsAppMediaSource> logger) : IInboxSource<MediaMessage>
{
    public static class MetadataKeys
    {
        public const string WaId = "wa_id";
        public const string ProfileName = "profile_name";
        public const string MessageId = "message_id";
        public const string Timestamp = "timestamp";
        public const string Caption = "caption";
        public const string PhoneNumberId = "phone_number_id";
        public const string DisplayPhoneNumber = "display_phone_number";
        public const string MimeType = "mime_type";
        public const string MediaType = "media_type";
        public const string MediaId = "media_id";
    }

    public string Name => options.Value.SourceName;

    public SourceChange Read(InboxItem<MediaMessage> item)
    {
        var message = item.Item;
        var retention = options.Value.MediaRetention;
        if (time.GetUtcNow() - message.Timestamp > retention)
        {
            // The Cloud API has let it go: asking would only answer 404, after the host's attempts.
            metrics.DeadLettered("retention");
            return new SourceUnreadable(message.MessageId,
                $"media older than the Cloud API retention ({retention.TotalDays:0.#} days): received {message.Timestamp:O}", 0, MetadataOf(message));
        }
        // The size is unknown until the lookup; the host's stream cap enforces the size limit while reading.
        return new SourceDocument(message.MessageId, FileNameOf(message), message.MimeType, null, MetadataOf(message),
            ct => OpenVerifiedAsync(message, ct));
    }

    private async Task<Stream> OpenVerifiedAsync(MediaMessage item, CancellationToken cancellationToken)
    {
        Stream content;
        MediaInfo media;
        try
        {
            media = await LookUpAsync(item, cancellationToken);
            try
            {
                content = await api.OpenDownloadAsync(media.Url, cancellationToken);
            }
            catch (MediaUrlExpiredException exception)
            {
                // The URL lives about five minutes: a slow queue outlives it. One fresh URL, then give up this attempt.
                metrics.DownloadFailed("url-expired");
                logger.LogInformation(exception, "Download URL of message {MessageId} expired; fetching a fresh one", item.MessageId);
                var fresh = await api.GetMediaAsync(item.MediaId, cancellationToken);
                content = await api.OpenDownloadAsync(fresh.Url, cancellationToken);
            }
        }
        catch (MediaNotFoundException)
        {
            // Permanent for the host: dead-lettered at once, with this reason.
            metrics.DeadLettered("not-found");
            throw;
        }
        catch (MediaUrlNotAllowedException)
        {
            // A URL off the allowed hosts (named by the lookup, or a redirect) comes again: permanent for the host too.
            metrics.DeadLettered("foreign-url");
            throw;
        }

        var expected = MediaHash.TryParse(item.Sha256) ?? MediaHash.TryParse(media.Sha256);
        if (expected is null)
        {
            logger.LogWarning("Message {MessageId} carries no usable SHA-256; its content is not verified", item.MessageId);
            return content;
        }
        return new Sha256VerifyingStream(content, expected, item.MessageId);
    }

    private async Task<MediaInfo> LookUpAsync(MediaMessage item, CancellationToken cancellationToken)
    {
        try
        {
            return await api.GetMediaAsync(item.MediaId, cancellationToken);
        }
        catch (Exception exception) when (exception is HttpRequestException or JsonException
                                          || (exception is TaskCanceledException && !cancellationToken.IsCancellationRequested))
        {
            // Transient for the host, which asks again with backoff and dead-letters after its attempts.
            metrics.DownloadFailed("lookup");
            logger.LogWarning(exception, "Media lookup for message {MessageId} failed", item.MessageId);
            throw;
        }
    }

    private static Dictionary<string, string> MetadataOf(MediaMessage item)
    {
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            [MetadataKeys.WaId] = item.From,
            [MetadataKeys.MessageId] = item.MessageId,
            [MetadataKeys.Timestamp] = item.Timestamp.ToString("O", CultureInfo.InvariantCulture),
            [MetadataKeys.PhoneNumberId] = item.PhoneNumberId,
            [MetadataKeys.MediaType] = item.MediaType,
            [MetadataKeys.MediaId] = item.MediaId,
        };
        Add(metadata, MetadataKeys.ProfileName, item.ProfileName);
        Add(metadata, MetadataKeys.Caption, item.Caption);
        Add(metadata, MetadataKeys.DisplayPhoneNumber, item.DisplayPhoneNumber);
        Add(metadata, MetadataKeys.MimeType, item.MimeType);
        return metadata;

        static void Add(Dictionary<string, string> metadata, string key, string? value)
        {
            if (!string.IsNullOrEmpty(value))
            {
                metadata[key] = value;
            }
        }
    }

    /// <summary>Documents keep their file name; photos and recordings get one from their time and type.</summary>
    internal static string FileNameOf(MediaMessage item)
    {
        if (!string.IsNullOrWhiteSpace(item.FileName))
        {
            var name = Path.GetFileName(item.FileName.Replace('\\', '/')).Trim();
            if (name.Length > 0)
            {
                return name;
            }
        }
        var mime = item.MimeType?.Split(';')[0].Trim().ToLowerInvariant();
        var extension = mime switch
        {
            "image/jpeg" => ".jpg",
            "image/png" => ".png",
            "image/webp" => ".webp",
            "application/pdf" => ".pdf",
            "video/mp4" => ".mp4",
            "video/3gpp" => ".3gp",
            "audio/ogg" => ".ogg",
            "audio/mpeg" => ".mp3",
            "audio/aac" => ".aac",
            "audio/amr" => ".amr",
            "audio/mp4" => ".m4a",
            _ => ".bin",
        };
        return $"whatsapp-{item.MediaType}-{item.Timestamp.UtcDateTime:yyyyMMdd-HHmmss}-{item.From}{extension}";
    }
}
