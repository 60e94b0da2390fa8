using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Kmrl.BuildingBlocks.Secrets;
using Kmrl.BuildingBlocks.Streams;
using Kmrl.Contracts;
using Microsoft.Extensions.Options;

namespace Kmrl.Connectors.WhatsApp.Media;

/// <summary>The Cloud API media endpoints over HttpClient, with the access token from the secret store.</summary>
public sealed class WhatsAppMediaClient(HttpClient http, ISecretProvider secrets, IOptions<WhatsAppOptions> options) : IWhatsAppMediaApi
{
    // Graph's "object does not exist / unsupported get request" error code.
    private const int GraphUnknownObjectCode = 100;

    public async Task<MediaInfo> GetMediaAsync(string mediaId, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var url = new Uri(settings.GraphBaseUrl, $"{settings.ApiVersion}/{Uri.EscapeDataString(mediaId)}");
        using var request = await AuthorizedAsync(HttpMethod.Get, url, cancellationToken);
        using var response = await http.SendAsync(request, cancellationToken);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            throw new MediaNotFoundException(mediaId, "404");
        }
        if (response.StatusCode == HttpStatusCode.BadRequest)
        {
            var error = await ReadErrorAsync(response, cancellationToken);
            if (error?.Code == GraphUnknownObjectCode)
            {
                throw new MediaNotFoundException(mediaId, error.Message ?? "unknown object");
            }
            throw new HttpRequestException($"Media lookup failed with 400: {error?.Message}", null, response.StatusCode);
        }
        response.EnsureSuccessStatusCode();
        var media = await response.Content.ReadFromJsonAsync<MediaInfo>(cancellationToken)
                    ?? throw new HttpRequestException("Media lookup answered an empty body.");
        return settings.IsAllowedMediaUrl(media.Url) ? media : throw new MediaUrlNotAllowedException(media.Url);
    }

    /// <summary>Redirects followed from a download URL, each to an allowed media host again.</summary>
    internal const int MaxRedirects = 3;

    public async Task<Stream> OpenDownloadAsync(Uri url, CancellationToken cancellationToken)
    {
        for (var hop = 0; ; hop++)
        {
            // The bearer token goes with the request: only to Meta's own https hosts, a redirect's target included.
            if (!options.Value.IsAllowedMediaUrl(url))
            {
                throw new MediaUrlNotAllowedException(url);
            }
            using var request = await AuthorizedAsync(HttpMethod.Get, url, cancellationToken);
            var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            try
            {
                // A handler that followed a redirect itself must not have fetched the bytes from elsewhere either.
                if (response.RequestMessage?.RequestUri is { } fetched && !options.Value.IsAllowedMediaUrl(fetched))
                {
                    throw new MediaUrlNotAllowedException(fetched);
                }
                if (IsRedirect(response.StatusCode) && response.Headers.Location is { } location && hop < MaxRedirects)
                {
                    url = new Uri(url, location);
                    response.Dispose();
                    continue;
                }
                if (response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.Unauthorized)
                {
                    throw new MediaUrlExpiredException((int)response.StatusCode);
                }
                response.EnsureSuccessStatusCode();
                if (IsRedirect(response.StatusCode))
                {
                    throw new HttpRequestException($"The media download redirected more than {MaxRedirects} times.", null, response.StatusCode);
                }
                var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
                return new ResponseContentStream(stream, response);
            }
            catch
            {
                response.Dispose();
                throw;
            }
        }
    }

    private static bool IsRedirect(HttpStatusCode status) => (int)status is >= 300 and < 400 and not 304;

    private async Task<HttpRequestMessage> AuthorizedAsync(HttpMethod method, Uri url, CancellationToken cancellationToken)
    {
        var token = await secrets.GetSecretAsync(options.Value.Secret, DaprNames.Secrets.WhatsAppKeys.AccessToken, cancellationToken);
        var request = new HttpRequestMessage(method, url);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return request;
    }

    private static async Task<GraphError?> ReadErrorAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        try
        {
            using var document = await JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync(cancellationToken),
                cancellationToken: cancellationToken);
            if (document.RootElement.TryGetProperty("error", out var error))
            {
                return new GraphError(
                    error.TryGetProperty("code", out var code) && code.TryGetInt32(out var c) ? c : null,
                    error.TryGetProperty("message", out var message) ? message.GetString() : null);
            }
        }
        catch (JsonException)
        {
        }
        return null;
    }

    private sealed record GraphError(int? Code, string? Message);
}
