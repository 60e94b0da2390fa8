using System.Text;
using Kmrl.Connectors.Sync;
using Kmrl.Connectors.WhatsApp.Media;
using Kmrl.Connectors.WhatsApp.Tests.Fakes;

namespace Kmrl.Connectors.WhatsApp.Tests;

/// <summary>
/// The sync side: media messages in the host's inbox, drained by the real host runner, downloaded from a local fake of
/// the Cloud API media endpoints. Attempts and dead letters are the host's (<c>Connector:MaxDocumentAttempts</c> is 3 here).
/// </summary>
public sealed class MediaSourceTests : IAsyncLifetime
{
    private const string Sender = "919847000001";
    private FakeCloudApi _cloud = null!;
    private readonly HttpClient _http = new(new SocketsHttpHandler { AllowAutoRedirect = false });
    private WhatsAppHost _host = null!;

    public async Task InitializeAsync()
    {
        _cloud = await FakeCloudApi.StartAsync();
        _host = new WhatsAppHost(_http, new WhatsAppOptions { GraphBaseUrl = _cloud.BaseUrl });
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        _http.Dispose();
        await _cloud.DisposeAsync();
    }

    [Fact]
    public async Task An_inbox_document_is_downloaded_with_the_bearer_token_verified_published_and_completed()
    {
        var content = Encoding.UTF8.GetBytes("%PDF-1.7 inspection report");
        _cloud.Add("m-1", content);
        await _host.EnqueueAsync(Message("wamid.1", "m-1", FakeCloudApi.HexSha256(content), fileName: "inspection.pdf", caption: "Aluva depot"));

        var run = await _host.RunAsync();

        Assert.Equal(SyncOutcome.Completed, run.Outcome);
        var discovered = Assert.Single(_host.Publisher.Discovered);
        Assert.Equal(content, await _host.ContentOfAsync(discovered));
        Assert.Equal(FakeCloudApi.HexSha256(content), discovered.Sha256);
        Assert.EndsWith("/wamid.1", discovered.SourceId);
        Assert.Equal("inspection.pdf", discovered.FileName);
        Assert.Equal("application/pdf", discovered.ContentType);
        Assert.Equal(Sender, discovered.SourceMetadata["wa_id"]);
        Assert.Equal("Anitha K", discovered.SourceMetadata["profile_name"]);
        Assert.Equal("wamid.1", discovered.SourceMetadata["message_id"]);
        Assert.Equal("Aluva depot", discovered.SourceMetadata["caption"]);
        Assert.Equal(WhatsAppPayloads.PhoneNumberId, discovered.SourceMetadata["phone_number_id"]);
        Assert.Equal("application/pdf", discovered.SourceMetadata["mime_type"]);
        Assert.True(DateTimeOffset.TryParse(discovered.SourceMetadata["timestamp"], out _));
        Assert.All(_cloud.DownloadAuthorizations, a => Assert.Equal("Bearer " + WhatsAppSecrets.AccessToken, a));
        Assert.False(_host.IsPending("wamid.1"));
        Assert.Equal(0, (await _host.RunAsync()).Counts.Discovered);
    }

    [Fact]
    public async Task An_expired_download_url_is_replaced_by_a_fresh_one()
    {
        var content = Encoding.UTF8.GetBytes("photo bytes");
        _cloud.Add("m-exp", content, "image/jpeg");
        // The host queue was slow: the URL the lookup gave is past its five minutes when the download starts.
        var slow = new SlowQueue(_cloud, new WhatsAppMediaClient(_http, WhatsAppSecrets.Create(), Microsoft.Extensions.Options.Options.Create(new WhatsAppOptions { GraphBaseUrl = _cloud.BaseUrl })));
        await using var slowHost = new WhatsAppHost(_http, new WhatsAppOptions { GraphBaseUrl = _cloud.BaseUrl }, slow);
        await slowHost.EnqueueAsync(Message("wamid.exp", "m-exp", FakeCloudApi.HexSha256(content), mediaType: "image", mimeType: "image/jpeg"));

        var run = await slowHost.RunAsync();

        Assert.Equal(1, run.Counts.Discovered);
        var discovered = Assert.Single(slowHost.Publisher.Discovered);
        Assert.Equal(content, await slowHost.ContentOfAsync(discovered));
        Assert.EndsWith(".jpg", discovered.FileName);
        Assert.Equal(2, _cloud.LookupsOf("m-exp"));
        Assert.Equal(2, _cloud.DownloadAuthorizations.Count);
    }

    [Fact]
    public async Task A_download_answering_404_is_retried_once_with_a_fresh_url()
    {
        var content = Encoding.UTF8.GetBytes("drawing");
        _cloud.Add("m-404", content).DownloadNotFoundCount = 1;
        await _host.EnqueueAsync(Message("wamid.404", "m-404", FakeCloudApi.HexSha256(content)));

        var run = await _host.RunAsync();

        Assert.Equal(1, run.Counts.Discovered);
        Assert.Equal(content, await _host.ContentOfAsync(Assert.Single(_host.Publisher.Discovered)));
        Assert.Equal(2, _cloud.LookupsOf("m-404"));
        Assert.False(_host.IsPending("wamid.404"));
    }

    [Fact]
    public async Task A_download_that_keeps_answering_404_gets_the_hosts_attempts_and_is_then_dead_lettered()
    {
        _cloud.Add("m-gone", [1, 2, 3]).DownloadNotFoundCount = 100;
        await _host.EnqueueAsync(Message("wamid.gone", "m-gone", FakeCloudApi.HexSha256([1, 2, 3])));

        var run = await _host.RunAsync();

        Assert.Equal(SyncOutcome.Completed, run.Outcome);
        var deadLetter = Assert.Single(_host.DeadLetters);
        Assert.Equal(("wamid.gone", 3), (deadLetter.SourceId, deadLetter.Attempts));
        Assert.Contains(nameof(MediaUrlExpiredException), deadLetter.Reason);
        // One lookup and one fresh lookup per attempt.
        Assert.Equal(6, _cloud.LookupsOf("m-gone"));
        Assert.False(_host.IsPending("wamid.gone"));
    }

    [Fact]
    public async Task A_sha256_mismatch_is_retried_by_the_host_then_dead_lettered_and_nothing_is_published()
    {
        var content = Encoding.UTF8.GetBytes("circular 12/2026");
        _cloud.Add("m-bad", content).CorruptDownloads = true;
        await _host.EnqueueAsync(Message("wamid.bad", "m-bad", FakeCloudApi.HexSha256(content)));

        var run = await _host.RunAsync();

        Assert.Equal(1, run.Counts.DeadLettered);
        Assert.Empty(_host.Publisher.Discovered);
        var deadLetter = Assert.Single(_host.DeadLetters);
        Assert.Equal(3, deadLetter.Attempts);
        Assert.Contains(nameof(MediaHashMismatchException), deadLetter.Reason);
        Assert.Equal(3, _cloud.LookupsOf("m-bad"));
        Assert.False(_host.IsPending("wamid.bad"));
    }

    [Fact]
    public async Task A_base64_announced_hash_is_verified_too()
    {
        var content = Encoding.UTF8.GetBytes("base64 hashed");
        _cloud.Add("m-b64", content);
        await _host.EnqueueAsync(Message("wamid.b64", "m-b64", Convert.ToBase64String(System.Security.Cryptography.SHA256.HashData(content))));

        var run = await _host.RunAsync();

        Assert.Equal(1, run.Counts.Discovered);
        Assert.Equal(content, await _host.ContentOfAsync(Assert.Single(_host.Publisher.Discovered)));
    }

    [Fact]
    public async Task Media_older_than_the_retention_is_dead_lettered_without_calling_the_api()
    {
        _cloud.Add("m-old", [9]);
        await _host.EnqueueAsync(Message("wamid.old", "m-old", FakeCloudApi.HexSha256([9]), at: DateTimeOffset.UtcNow - TimeSpan.FromDays(31)));

        var run = await _host.RunAsync();

        Assert.Empty(_host.Publisher.Discovered);
        Assert.Equal(0, _cloud.LookupsOf("m-old"));
        Assert.Equal(1, run.Counts.DeadLettered);
        Assert.Contains("retention", Assert.Single(_host.DeadLetters).Reason);
        Assert.False(_host.IsPending("wamid.old"));
    }

    [Fact]
    public async Task A_media_id_the_api_no_longer_knows_is_dead_lettered_at_once_and_the_others_still_flow()
    {
        var content = Encoding.UTF8.GetBytes("still here");
        _cloud.Add("m-ok", content);
        await _host.EnqueueAsync(Message("wamid.unknown", "m-unknown", null, at: DateTimeOffset.UtcNow.AddMinutes(-2)));
        await _host.EnqueueAsync(Message("wamid.ok", "m-ok", FakeCloudApi.HexSha256(content), at: DateTimeOffset.UtcNow.AddMinutes(-1)));

        await _host.RunAsync();

        Assert.EndsWith("/wamid.ok", Assert.Single(_host.Publisher.Discovered).SourceId);
        var deadLetter = Assert.Single(_host.DeadLetters);
        Assert.Equal(("wamid.unknown", 1), (deadLetter.SourceId, deadLetter.Attempts));
        Assert.Contains("does not exist", deadLetter.Reason);
        Assert.Equal(1, _cloud.LookupsOf("m-unknown"));
    }

    [Fact]
    public async Task A_download_url_on_another_host_is_dead_lettered_at_once_and_the_bearer_token_is_never_sent_there()
    {
        var content = Encoding.UTF8.GetBytes("%PDF-1.7 redirected");
        _cloud.Add("m-away", content);
        // The same fake under another name: a host that is neither the Graph URL's nor Meta's CDN.
        _cloud.DownloadBaseUrl = OtherHost();
        await _host.EnqueueAsync(Message("wamid.away", "m-away", FakeCloudApi.HexSha256(content)));

        await _host.RunAsync();

        Assert.Empty(_host.Publisher.Discovered);
        Assert.Empty(_cloud.DownloadAuthorizations);
        var deadLetter = Assert.Single(_host.DeadLetters);
        Assert.Equal(1, deadLetter.Attempts);
        Assert.Contains("not on an allowed https host", deadLetter.Reason);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_download_redirected_to_another_host_is_dead_lettered_and_neither_the_token_nor_the_bytes_travel(bool handlerFollowsRedirects)
    {
        // The registered client does not follow redirects (its handler's AllowAutoRedirect is off); one that does is
        // caught by where the response came from.
        using var http = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = handlerFollowsRedirects });
        await using var host = new WhatsAppHost(http, new WhatsAppOptions { GraphBaseUrl = _cloud.BaseUrl });
        var content = Encoding.UTF8.GetBytes("%PDF-1.7 redirected");
        _cloud.Add("m-redirect", content);
        _cloud.DownloadRedirectBaseUrl = OtherHost();
        await host.EnqueueAsync(Message("wamid.redirect", "m-redirect", FakeCloudApi.HexSha256(content)));

        await host.RunAsync();

        Assert.Empty(host.Publisher.Discovered);
        // Permanent for the connector host: dead-lettered at once, the checkpoint moves past it.
        var deadLetter = Assert.Single(host.DeadLetters);
        Assert.Equal(1, deadLetter.Attempts);
        Assert.Contains("not on an allowed https host", deadLetter.Reason);
        Assert.DoesNotContain(_cloud.Downloads, download => download.Host == "localhost" && download.Authorization.Length > 0);
        if (!handlerFollowsRedirects) Assert.DoesNotContain(_cloud.Downloads, download => download.Host == "localhost");
    }

    [Fact]
    public async Task A_download_redirected_to_an_allowed_media_host_is_followed_with_the_token()
    {
        await using var host = new WhatsAppHost(_http, new WhatsAppOptions { GraphBaseUrl = _cloud.BaseUrl, MediaHosts = ["localhost"] });
        var content = Encoding.UTF8.GetBytes("%PDF-1.7 from the CDN");
        _cloud.Add("m-cdn", content);
        _cloud.DownloadRedirectBaseUrl = OtherHost();
        await host.EnqueueAsync(Message("wamid.cdn", "m-cdn", FakeCloudApi.HexSha256(content)));

        await host.RunAsync();

        Assert.EndsWith("/wamid.cdn", Assert.Single(host.Publisher.Discovered).SourceId);
        Assert.Equal(["127.0.0.1", "localhost"], _cloud.Downloads.Select(download => download.Host));
        Assert.All(_cloud.Downloads, download => Assert.Equal("Bearer " + FakeCloudApi.AccessToken, download.Authorization));
    }

    /// <summary>The same fake under another name.</summary>
    private Uri OtherHost() => new(_cloud.BaseUrl.ToString().Replace("127.0.0.1", "localhost", StringComparison.Ordinal));

    [Theory]
    [InlineData("https://lookaside.fbsbx.com/whatsapp_business/attachments/?mid=1", true)]
    [InlineData("https://graph.facebook.com/v23.0/123", true)]
    [InlineData("http://lookaside.fbsbx.com/whatsapp_business/attachments/?mid=1", false)]
    [InlineData("https://lookaside.fbsbx.com.evil.example/a", false)]
    [InlineData("https://evil.example/lookaside.fbsbx.com", false)]
    [InlineData("http://127.0.0.1:8080/download/1", false)]
    public void Only_https_meta_hosts_may_receive_the_access_token_by_default(string url, bool allowed)
    {
        Assert.Equal(allowed, new WhatsAppOptions().IsAllowedMediaUrl(new Uri(url)));
    }

    [Fact]
    public void Configured_media_hosts_replace_the_default_and_a_leading_dot_allows_subdomains()
    {
        var options = new WhatsAppOptions { MediaHosts = [".fbcdn.net"] };

        Assert.True(options.IsAllowedMediaUrl(new Uri("https://scontent.xx.fbcdn.net/v/t1")));
        Assert.False(options.IsAllowedMediaUrl(new Uri("https://lookaside.fbsbx.com/a")));
        Assert.False(options.IsAllowedMediaUrl(new Uri("https://notfbcdn.net/a")));
    }

    private static MediaMessage Message(string wamid, string mediaId, string? sha256, string mediaType = "document", string mimeType = "application/pdf",
        string? fileName = null, string? caption = null, DateTimeOffset? at = null) =>
        new(wamid, mediaId, mediaType, mimeType, sha256, fileName, caption, Sender, "Anitha K",
            WhatsAppPayloads.PhoneNumberId, WhatsAppPayloads.DisplayPhoneNumber, at ?? DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow);

    /// <summary>The media API as a slow queue sees it: the first download URL has expired by the time it is used.</summary>
    private sealed class SlowQueue(FakeCloudApi cloud, IWhatsAppMediaApi inner) : IWhatsAppMediaApi
    {
        private int _lookups;

        public async Task<MediaInfo> GetMediaAsync(string mediaId, CancellationToken cancellationToken)
        {
            var media = await inner.GetMediaAsync(mediaId, cancellationToken);
            if (Interlocked.Increment(ref _lookups) == 1)
            {
                cloud.Clock.Advance(FakeCloudApi.UrlLifetime + TimeSpan.FromMinutes(1));
            }
            return media;
        }

        public Task<Stream> OpenDownloadAsync(Uri url, CancellationToken cancellationToken) => inner.OpenDownloadAsync(url, cancellationToken);
    }
}
