using System.Collections.Concurrent;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace Kmrl.Testing.Fakes;

/// <summary>
/// The Cloud API media endpoints on Kestrel (127.0.0.1, random port), speaking Meta's documented shapes:
/// <c>GET /{version}/{media-id}</c> → <c>{messaging_product, url, mime_type, sha256, file_size, id}</c> and a
/// download URL that needs the same bearer token and expires after five minutes of the fake's clock.
/// </summary>
public sealed class FakeCloudApi : IAsyncDisposable
{
    /// <summary>The bearer the fake accepts; put it in the connector's secret store as key <c>access-token</c> of the secret <c>whatsapp</c>.</summary>
    public const string AccessToken = "EAAG-test-access-token";

    public static readonly TimeSpan UrlLifetime = TimeSpan.FromMinutes(5);

    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, FakeMedia> _media = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int> _lookups = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<string?> _downloadAuthorizations = new();
    private readonly ConcurrentQueue<(string Host, string Authorization)> _downloads = new();

    private FakeCloudApi(WebApplication app, FakeTimeProvider clock)
    {
        _app = app;
        Clock = clock;
    }

    public FakeTimeProvider Clock { get; }

    public Uri BaseUrl { get; private set; } = null!;

    public IReadOnlyCollection<string?> DownloadAuthorizations => _downloadAuthorizations.ToArray();

    /// <summary>Where the lookup says the bytes are; null means this fake itself. A hostile or broken API could name any host.</summary>
    public Uri? DownloadBaseUrl { get; set; }

    /// <summary>When set, a download on the fake's own host answers 302 to the same path on this base (another host, say).</summary>
    public Uri? DownloadRedirectBaseUrl { get; set; }

    /// <summary>Every download request: the host it was sent to and its Authorization header.</summary>
    public IReadOnlyCollection<(string Host, string Authorization)> Downloads => _downloads.ToArray();

    public int LookupsOf(string mediaId) => _lookups.GetValueOrDefault(mediaId);

    public static async Task<FakeCloudApi> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var fake = new FakeCloudApi(app, new FakeTimeProvider(DateTimeOffset.UtcNow));
        app.MapGet("/{version}/{mediaId}", fake.LookupAsync);
        app.MapGet("/download/{mediaId}", fake.DownloadAsync);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.Single();
        fake.BaseUrl = new Uri(address.TrimEnd('/') + "/");
        return fake;
    }

    /// <summary>Registers media; by default the announced hash is the hex SHA-256 of <paramref name="content"/>.</summary>
    public FakeMedia Add(string mediaId, byte[] content, string mimeType = "application/pdf")
    {
        var media = new FakeMedia(mediaId, content, mimeType);
        _media[mediaId] = media;
        return media;
    }

    public static string HexSha256(byte[] content) => Convert.ToHexStringLower(SHA256.HashData(content));

    private IResult LookupAsync(string version, string mediaId, HttpRequest request)
    {
        _lookups.AddOrUpdate(mediaId, 1, (_, n) => n + 1);
        if (!IsAuthorized(request))
        {
            return GraphError(StatusCodes.Status401Unauthorized, 190, "Invalid OAuth access token.");
        }
        if (!_media.TryGetValue(mediaId, out var media))
        {
            // What Graph answers for an id it does not know (expired or deleted media).
            return GraphError(StatusCodes.Status400BadRequest, 100,
                $"Unsupported get request. Object with ID '{mediaId}' does not exist, cannot be loaded due to missing permissions, or does not support this operation.");
        }
        var expires = Clock.GetUtcNow() + UrlLifetime;
        var url = new Uri(media.DownloadBaseUrl ?? DownloadBaseUrl ?? BaseUrl, $"download/{mediaId}?token={Guid.NewGuid():N}&exp={expires.ToUnixTimeSeconds()}");
        return Results.Json(new Dictionary<string, string>
        {
            ["messaging_product"] = "whatsapp",
            ["url"] = url.ToString(),
            ["mime_type"] = media.MimeType,
            ["sha256"] = HexSha256(media.Content),
            ["file_size"] = media.Content.Length.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["id"] = mediaId,
        });
    }

    private IResult DownloadAsync(string mediaId, HttpRequest request)
    {
        _downloadAuthorizations.Enqueue(request.Headers.Authorization.ToString());
        _downloads.Enqueue((request.Host.Host, request.Headers.Authorization.ToString()));
        if (DownloadRedirectBaseUrl is { } redirect && request.Host.Host == BaseUrl.Host)
        {
            return Results.Redirect(new Uri(redirect, $"download/{mediaId}{request.QueryString}").ToString());
        }
        if (!IsAuthorized(request))
        {
            return Results.StatusCode(StatusCodes.Status401Unauthorized);
        }
        if (!_media.TryGetValue(mediaId, out var media) || !long.TryParse(request.Query["exp"], out var exp))
        {
            return Results.NotFound();
        }
        if (Clock.GetUtcNow().ToUnixTimeSeconds() > exp)
        {
            return Results.StatusCode(StatusCodes.Status401Unauthorized);
        }
        if (Interlocked.Decrement(ref media.DownloadNotFoundCount) >= 0)
        {
            return Results.NotFound();
        }
        var bytes = media.Content.ToArray();
        if (media.CorruptDownloads)
        {
            bytes[0] ^= 0xFF;
        }
        return Results.Bytes(bytes, media.MimeType);
    }

    private static bool IsAuthorized(HttpRequest request) =>
        request.Headers.Authorization.ToString() == "Bearer " + AccessToken;

    private static IResult GraphError(int status, int code, string message) => Results.Json(
        new { error = new { message, type = "OAuthException", code, fbtrace_id = "AbCdEf" } }, statusCode: status);

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

public sealed class FakeMedia(string mediaId, byte[] content, string mimeType)
{
    public string MediaId { get; } = mediaId;
    public byte[] Content { get; } = content;
    public string MimeType { get; } = mimeType;

    /// <summary>Downloads answered 404 before the content is served.</summary>
    public int DownloadNotFoundCount;

    /// <summary>Serve bytes that do not match the announced hash.</summary>
    public bool CorruptDownloads { get; set; }

    /// <summary>Where the lookup of this media says its bytes are (overrides the fake's <see cref="FakeCloudApi.DownloadBaseUrl"/>).</summary>
    public Uri? DownloadBaseUrl { get; set; }
}
