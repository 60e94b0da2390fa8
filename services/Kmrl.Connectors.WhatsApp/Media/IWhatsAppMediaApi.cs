namespace Kmrl.Connectors.WhatsApp.Media;

/// <summary>The two Cloud API media calls: resolve a media id, then download its URL.</summary>
public interface IWhatsAppMediaApi
{
    /// <exception cref="MediaNotFoundException">The id is gone.</exception>
    Task<MediaInfo> GetMediaAsync(string mediaId, CancellationToken cancellationToken);

    /// <summary>Opens the download as a stream (not buffered).</summary>
    /// <exception cref="MediaUrlExpiredException">The URL answered 401 or 404.</exception>
    Task<Stream> OpenDownloadAsync(Uri url, CancellationToken cancellationToken);
}
