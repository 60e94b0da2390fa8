using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Kmrl.Connectors.WhatsApp.Media;
using Kmrl.Connectors.WhatsApp.Pending;
using Microsoft.Extensions.Options;

namespace Kmrl.Connectors.WhatsApp;

/// <summary>
/// The WhatsApp <see cref="IDocumentSource"/>. The Cloud API cannot list received messages, so the change stream is
/// the pending items the webhook stored; the checkpoint is informational only (the pending store is the truth),
/// and each item is marked done after the host has stored the checkpoint that follows it.
/// </summary>
public sealed class WhatsAppMediaSource(
    IPendingMediaStore store,
    IWhatsAppMediaApi api,
    WhatsAppMetrics metrics,
    TimeProvider time,
    IOptions<WhatsAppOptions> options,
    ILogger<WhatsAppMediaSource> logger) : IDocumentSource
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

    public async IAsyncEnumerable<SourceChange> ReadChangesAsync(string? checkpoint, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var pending = await store.ListPendingAsync(cancellationToken);
        foreach (var entry in pending)
        {
            var item = entry.Media;
            var age = time.GetUtcNow() - item.Timestamp;
            if (age > settings.MediaRetention)
            {
                await DeadLetterAsync(item, "retention",
                    $"media older than the Cloud API retention ({settings.MediaRetention.TotalDays:0.#} days): received {item.Timestamp:O}",
                    cancellationToken);
                continue;
            }
            if (entry.Attempts >= settings.MaxAttempts)
            {
                await DeadLetterAsync(item, "attempts",
                    $"not committed after {entry.Attempts} attempts (last error: {entry.LastError ?? "none recorded"})", cancellationToken);
                continue;
            }

            MediaInfo? media = null;
            try
            {
                media = await api.GetMediaAsync(item.MediaId, cancellationToken);
            }
            catch (MediaNotFoundException exception)
            {
                await DeadLetterAsync(item, "not-found", exception.Message, cancellationToken);
                continue;
            }
            catch (MediaUrlNotAllowedException exception)
            {
                await DeadLetterAsync(item, "foreign-url", exception.Message, cancellationToken);
                continue;
            }
            catch (Exception exception) when (exception is HttpRequestException or JsonException
                                              || (exception is TaskCanceledException && !cancellationToken.IsCancellationRequested))
            {
                // One item's trouble must not stop the others; the next run (push or cron sweeper) retries it.
                metrics.DownloadFailed("lookup");
                logger.LogWarning(exception, "Media lookup for message {MessageId} failed; it stays pending", item.MessageId);
                await store.RecordAttemptAsync(item.MessageId, exception.Message, cancellationToken);
                continue;
            }

            yield return new SourceDocument(
                item.MessageId,
                FileNameOf(item),
                item.MimeType ?? media.MimeType,
                media.FileSize,
                MetadataOf(item, media),
                ct => OpenVerifiedAsync(item, media, ct));

            var marker = JsonSerializer.Serialize(new Checkpoint(item.MessageId, item.Timestamp));
            var messageId = item.MessageId;
            yield return new SourceCheckpoint(marker, ct => store.MarkDoneAsync(messageId, ct));
        }
    }

    private async Task<Stream> OpenVerifiedAsync(PendingMedia item, MediaInfo media, CancellationToken cancellationToken)
    {
        // Counted before the download, so an item that keeps failing anywhere downstream is eventually dead-lettered.
        await store.RecordAttemptAsync(item.MessageId, "download opened but not committed", cancellationToken);
        Stream content;
        try
        {
            try
            {
                content = await api.OpenDownloadAsync(media.Url, cancellationToken);
            }
            catch (MediaUrlExpiredException exception)
            {
                // The URL lives about five minutes: a slow queue outlives it. One fresh URL, then give up this run.
                metrics.DownloadFailed("url-expired");
                logger.LogInformation(exception, "Download URL of message {MessageId} expired; fetching a fresh one", item.MessageId);
                var fresh = await api.GetMediaAsync(item.MediaId, cancellationToken);
                content = await api.OpenDownloadAsync(fresh.Url, cancellationToken);
            }
        }
        catch (MediaUrlNotAllowedException exception)
        {
            // A download that redirects off the allowed hosts does so again: dead-lettered here, and permanent for the host.
            await DeadLetterAsync(item, "foreign-url", exception.Message, cancellationToken);
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

    private async Task DeadLetterAsync(PendingMedia item, string kind, string reason, CancellationToken cancellationToken)
    {
        metrics.DeadLettered(kind);
        logger.LogWarning("Dead-lettering media message {MessageId} from {WaId}: {Reason}", item.MessageId, item.From, reason);
        await store.MarkDeadLetteredAsync(item.MessageId, reason, cancellationToken);
    }

    private static Dictionary<string, string> MetadataOf(PendingMedia item, MediaInfo media)
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
        Add(metadata, MetadataKeys.MimeType, item.MimeType ?? media.MimeType);
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
    internal static string FileNameOf(PendingMedia item)
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

    private sealed record Checkpoint(string LastMessageId, DateTimeOffset LastTimestamp);
}
