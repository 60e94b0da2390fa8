using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Kmrl.BuildingBlocks.Secrets;
using Kmrl.BuildingBlocks.Streams;
using Kmrl.Contracts;
using Polly.Timeout;

namespace Kmrl.Connectors.Maximo.Rest;

/// <summary>
/// Maximo answered with an error (its JSON <c>Error</c> body is in the message). Not an HttpRequestException on
/// purpose: the host retries those as transient, and a refused API key must not be hammered.
/// </summary>
public sealed class MaximoApiException(HttpStatusCode status, string message)
    : Exception($"Maximo answered {(int)status}: {message}")
{
    public HttpStatusCode StatusCode { get; } = status;

    public bool IsAuthenticationFailure => StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden;
}

/// <summary>
/// A link in Maximo's answer (doclink, next page, collection) names another origin than the source's <c>BaseUrl</c>:
/// the credentials are not sent there, and the link is not followed.
/// </summary>
public sealed class MaximoForeignLinkException(Uri url, Uri baseUrl)
    : Exception($"Maximo linked to {url.GetLeftPart(UriPartial.Authority)}, not to the configured {baseUrl.GetLeftPart(UriPartial.Authority)}; the link is not followed with credentials.");

/// <summary>
/// Typed HttpClient for the Maximo REST (OSLC JSON) API: authenticated GETs of JSON pages and streamed attachment
/// bytes. Transient failures (5xx, 408, 429, connection errors, attempt timeouts) are retried by the client's
/// resilience handler (<see cref="MaximoRetry"/>, registered by <c>AddMaximoApiClient</c>); 4xx such as 401 fail at once.
/// </summary>
public sealed class MaximoApiClient(HttpClient http, ISecretProvider secrets)
{
    public async Task<JsonDocument> GetJsonAsync(MaximoRestOptions options, Uri url, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(options, url, cancellationToken);
        await using var body = await response.Content.ReadAsStreamAsync(cancellationToken);
        return await JsonDocument.ParseAsync(body, cancellationToken: cancellationToken);
    }

    /// <summary>Opens the attachment bytes as a stream; disposing the stream releases the response.</summary>
    public async Task<(Stream Content, string? ContentType)> OpenAsync(MaximoRestOptions options, Uri url, CancellationToken cancellationToken)
    {
        var response = await SendAsync(options, url, cancellationToken);
        try
        {
            var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
            return (new ResponseContentStream(stream, response), response.Content.Headers.ContentType?.MediaType);
        }
        catch
        {
            response.Dispose();
            throw;
        }
    }

    private async Task<HttpResponseMessage> SendAsync(MaximoRestOptions options, Uri url, CancellationToken cancellationToken)
    {
        // Every URL but the first page comes from Maximo's JSON: the API key goes only to BaseUrl's own origin
        // (scheme, host and port). Redirects are not followed (the handler's AllowAutoRedirect is off), so a 3xx
        // cannot carry the header elsewhere either.
        var origin = options.BaseUrl ?? throw new InvalidOperationException("BaseUrl is required.");
        if (Uri.Compare(url, origin, UriComponents.SchemeAndServer, UriFormat.Unescaped, StringComparison.OrdinalIgnoreCase) != 0)
        {
            throw new MaximoForeignLinkException(url, origin);
        }
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        await AuthenticateAsync(options, request, cancellationToken);
        MaximoRetry.Select(request, options);
        HttpResponseMessage response;
        try
        {
            // The retries happen inside: the client's resilience handler (MaximoRetry) resends this GET.
            response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        }
        catch (TimeoutRejectedException timeout)
        {
            // A TimeoutException, so the connector host still counts a Maximo that stopped answering as transient.
            throw new TimeoutException($"Maximo did not answer GET {url.AbsolutePath} within {MaximoRetry.AttemptTimeout} (the last of up to {options.Attempts} attempts).", timeout);
        }
        if (response.IsSuccessStatusCode)
        {
            return response;
        }
        using (response)
        {
            throw new MaximoApiException(response.StatusCode, await ReadErrorAsync(response, cancellationToken));
        }
    }

    private async Task AuthenticateAsync(MaximoRestOptions options, HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (options.AuthMode == MaximoAuthMode.ApiKey)
        {
            request.Headers.Add("apikey", await secrets.GetSecretAsync(options.Secret, DaprNames.Secrets.MaximoRestKeys.ApiKey, cancellationToken));
        }
        else
        {
            var user = await secrets.GetSecretAsync(options.Secret, DaprNames.Secrets.MaximoRestKeys.UserName, cancellationToken);
            var password = await secrets.GetSecretAsync(options.Secret, DaprNames.Secrets.MaximoRestKeys.Password, cancellationToken);
            request.Headers.Add("maxauth", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}")));
        }
    }

    // Maximo errors look like {"Error":{"message":"BMXAA0021E - ...","statusCode":"401","reasonCode":"BMXAA0021E"}}.
    private static async Task<string> ReadErrorAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        try
        {
            using var json = JsonDocument.Parse(text);
            if (json.RootElement.TryGetProperty("Error", out var error) && error.TryGetProperty("message", out var message))
            {
                return message.GetString() ?? text;
            }
        }
        catch (JsonException)
        {
            // Not JSON (a proxy page): keep the start of the text.
        }
        return text.Length > 300 ? text[..300] : text;
    }

}
