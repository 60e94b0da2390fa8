using System.Text;
using Kmrl.Connectors.WhatsApp.Media;
using Kmrl.Connectors.WhatsApp.Pending;
using Kmrl.Connectors.WhatsApp.Tests.Fakes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using System.Diagnostics.Metrics;

namespace Kmrl.Connectors.WhatsApp.Tests;

/// <summary>The sync side: pending items downloaded from a local fake of the Cloud API media endpoints.</summary>
public sealed class MediaSourceTests : IAsyncLifetime
{
    private const string Sender = "919847000001";
    private FakeCloudApi _cloud = null!;
    private readonly InMemoryPendingMediaStore _store = new();
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.UtcNow);
    private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
    private readonly HttpClient _http = new();
    private WhatsAppMediaSource _source = null!;

    public async Task InitializeAsync()
    {
        _cloud = await FakeCloudApi.StartAsync();
        var options = Options.Create(new WhatsAppOptions { GraphBaseUrl = _cloud.BaseUrl, MaxAttempts = 3 });
        var api = new WhatsAppMediaClient(_http, new FakeSecrets(), options);
        _source = new WhatsAppMediaSource(_store, api, new WhatsAppMetrics(_services.GetRequiredService<IMeterFactory>()), _clock, options,
            NullLogger<WhatsAppMediaSource>.Instance);
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _services.DisposeAsync();
        await _cloud.DisposeAsync();
    }

    [Fact]
    public async Task A_pending_document_is_downloaded_with_the_bearer_token_verified_and_marked_done_after_commit()
    {
        var content = Encoding.UTF8.GetBytes("%PDF-1.7 inspection report");
        _cloud.Add("m-1", content);
        await AddPendingAsync("wamid.1", "m-1", FakeCloudApi.HexSha256(content), fileName: "inspection.pdf", caption: "Aluva depot");

        var changes = new List<SourceChange>();
        await foreach (var change in _source.ReadChangesAsync(null, CancellationToken.None))
        {
            changes.Add(change);
        }
        var document = Assert.IsType<SourceDocument>(changes[0]);
        var marker = Assert.IsType<SourceCheckpoint>(changes[1]);
        await using (var stream = await document.OpenContentAsync(CancellationToken.None))
        {
            using var buffer = new MemoryStream();
            await stream.CopyToAsync(buffer);
            Assert.Equal(content, buffer.ToArray());
        }
        Assert.Equal(PendingMediaStatus.Pending, (await _store.GetAsync("wamid.1", default))!.Status);
        await marker.AfterCommitAsync!(CancellationToken.None);

        Assert.Equal(PendingMediaStatus.Done, (await _store.GetAsync("wamid.1", default))!.Status);
        Assert.Equal("wamid.1", document.SourceId);
        Assert.Equal("inspection.pdf", document.FileName);
        Assert.Equal("application/pdf", document.DeclaredContentType);
        Assert.Equal(content.Length, document.Size);
        Assert.Equal(Sender, document.Metadata["wa_id"]);
        Assert.Equal("Anitha K", document.Metadata["profile_name"]);
        Assert.Equal("wamid.1", document.Metadata["message_id"]);
        Assert.Equal("Aluva depot", document.Metadata["caption"]);
        Assert.Equal(WhatsAppPayloads.PhoneNumberId, document.Metadata["phone_number_id"]);
        Assert.Equal("application/pdf", document.Metadata["mime_type"]);
        Assert.True(DateTimeOffset.TryParse(document.Metadata["timestamp"], out _));
        Assert.All(_cloud.DownloadAuthorizations, a => Assert.Equal("Bearer " + FakeSecrets.AccessToken, a));
        Assert.Empty((await HostEmulation.RunAsync(_source)).Documents);
    }

    [Fact]
    public async Task An_expired_download_url_is_replaced_by_a_fresh_one()
    {
        var content = Encoding.UTF8.GetBytes("photo bytes");
        _cloud.Add("m-exp", content, "image/jpeg");
        await AddPendingAsync("wamid.exp", "m-exp", FakeCloudApi.HexSha256(content), mediaType: "image", mimeType: "image/jpeg");

        await foreach (var change in _source.ReadChangesAsync(null, CancellationToken.None))
        {
            if (change is SourceDocument document)
            {
                // The host queue was slow: the URL the lookup gave is past its five minutes.
                _cloud.Clock.Advance(FakeCloudApi.UrlLifetime + TimeSpan.FromMinutes(1));
                await using var stream = await document.OpenContentAsync(CancellationToken.None);
                using var buffer = new MemoryStream();
                await stream.CopyToAsync(buffer);
                Assert.Equal(content, buffer.ToArray());
                Assert.EndsWith(".jpg", document.FileName);
            }
        }

        Assert.Equal(2, _cloud.LookupsOf("m-exp"));
        Assert.Equal(2, _cloud.DownloadAuthorizations.Count);
    }

    [Fact]
    public async Task A_download_answering_404_is_retried_once_with_a_fresh_url()
    {
        var content = Encoding.UTF8.GetBytes("drawing");
        _cloud.Add("m-404", content).DownloadNotFoundCount = 1;
        await AddPendingAsync("wamid.404", "m-404", FakeCloudApi.HexSha256(content));

        var run = await HostEmulation.RunAsync(_source);

        Assert.Empty(run.Failures);
        Assert.Equal(content, Assert.Single(run.Documents).Content);
        Assert.Equal(2, _cloud.LookupsOf("m-404"));
        Assert.Equal(PendingMediaStatus.Done, (await _store.GetAsync("wamid.404", default))!.Status);
    }

    [Fact]
    public async Task A_download_that_keeps_answering_404_fails_the_read_and_stays_pending()
    {
        _cloud.Add("m-gone", [1, 2, 3]).DownloadNotFoundCount = 10;
        await AddPendingAsync("wamid.gone", "m-gone", FakeCloudApi.HexSha256([1, 2, 3]));

        var run = await HostEmulation.RunAsync(_source);

        Assert.IsType<MediaUrlExpiredException>(Assert.Single(run.Failures));
        Assert.Equal(PendingMediaStatus.Pending, (await _store.GetAsync("wamid.gone", default))!.Status);
    }

    [Fact]
    public async Task A_sha256_mismatch_fails_the_read_and_after_the_attempts_the_item_is_dead_lettered()
    {
        var content = Encoding.UTF8.GetBytes("circular 12/2026");
        _cloud.Add("m-bad", content).CorruptDownloads = true;
        await AddPendingAsync("wamid.bad", "m-bad", FakeCloudApi.HexSha256(content));

        for (var run = 0; run < 3; run++)
        {
            var result = await HostEmulation.RunAsync(_source);
            Assert.IsType<MediaHashMismatchException>(Assert.Single(result.Failures));
            Assert.Equal(0, result.CommittedCheckpoints);
        }
        var last = await HostEmulation.RunAsync(_source);

        Assert.Empty(last.Documents);
        var entry = (await _store.GetAsync("wamid.bad", default))!;
        Assert.Equal(PendingMediaStatus.DeadLettered, entry.Status);
        Assert.Contains("3 attempts", entry.DeadLetterReason);
    }

    [Fact]
    public async Task A_base64_announced_hash_is_verified_too()
    {
        var content = Encoding.UTF8.GetBytes("base64 hashed");
        _cloud.Add("m-b64", content);
        await AddPendingAsync("wamid.b64", "m-b64", Convert.ToBase64String(System.Security.Cryptography.SHA256.HashData(content)));

        var run = await HostEmulation.RunAsync(_source);

        Assert.Empty(run.Failures);
        Assert.Equal(content, Assert.Single(run.Documents).Content);
    }

    [Fact]
    public async Task Media_older_than_the_retention_is_dead_lettered_without_calling_the_api()
    {
        _cloud.Add("m-old", [9]);
        await AddPendingAsync("wamid.old", "m-old", FakeCloudApi.HexSha256([9]), at: _clock.GetUtcNow() - TimeSpan.FromDays(31));

        var run = await HostEmulation.RunAsync(_source);

        Assert.Empty(run.Documents);
        Assert.Equal(0, _cloud.LookupsOf("m-old"));
        var entry = (await _store.GetAsync("wamid.old", default))!;
        Assert.Equal(PendingMediaStatus.DeadLettered, entry.Status);
        Assert.Contains("retention", entry.DeadLetterReason);
    }

    [Fact]
    public async Task A_media_id_the_api_no_longer_knows_is_dead_lettered_and_the_others_still_flow()
    {
        var content = Encoding.UTF8.GetBytes("still here");
        _cloud.Add("m-ok", content);
        await AddPendingAsync("wamid.unknown", "m-unknown", null, at: _clock.GetUtcNow().AddMinutes(-2));
        await AddPendingAsync("wamid.ok", "m-ok", FakeCloudApi.HexSha256(content), at: _clock.GetUtcNow().AddMinutes(-1));

        var run = await HostEmulation.RunAsync(_source);

        Assert.Equal("wamid.ok", Assert.Single(run.Documents).Document.SourceId);
        var entry = (await _store.GetAsync("wamid.unknown", default))!;
        Assert.Equal(PendingMediaStatus.DeadLettered, entry.Status);
        Assert.Contains("does not exist", entry.DeadLetterReason);
    }

    [Fact]
    public async Task A_download_url_on_another_host_is_dead_lettered_and_the_bearer_token_is_never_sent_there()
    {
        var content = Encoding.UTF8.GetBytes("%PDF-1.7 redirected");
        _cloud.Add("m-away", content);
        // The same fake under another name: a host that is neither the Graph URL's nor Meta's CDN.
        _cloud.DownloadBaseUrl = new Uri(_cloud.BaseUrl.ToString().Replace("127.0.0.1", "localhost", StringComparison.Ordinal));
        await AddPendingAsync("wamid.away", "m-away", FakeCloudApi.HexSha256(content));

        var run = await HostEmulation.RunAsync(_source);

        Assert.Empty(run.Documents);
        Assert.Empty(_cloud.DownloadAuthorizations);
        var entry = (await _store.GetAsync("wamid.away", default))!;
        Assert.Equal(PendingMediaStatus.DeadLettered, entry.Status);
        Assert.Contains("not on an allowed https host", entry.DeadLetterReason);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_download_redirected_to_another_host_is_dead_lettered_and_neither_the_token_nor_the_bytes_travel(bool handlerFollowsRedirects)
    {
        // The registered client does not follow redirects (its handler's AllowAutoRedirect is off); one that does is
        // caught by where the response came from.
        using var http = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = handlerFollowsRedirects });
        var source = Source(http, new WhatsAppOptions { GraphBaseUrl = _cloud.BaseUrl, MaxAttempts = 3 });
        var content = Encoding.UTF8.GetBytes("%PDF-1.7 redirected");
        _cloud.Add("m-redirect", content);
        _cloud.DownloadRedirectBaseUrl = OtherHost();
        await AddPendingAsync("wamid.redirect", "m-redirect", FakeCloudApi.HexSha256(content));

        var run = await HostEmulation.RunAsync(source);

        Assert.Empty(run.Documents);
        // Permanent for the connector host: dead-lettered at once, the checkpoint moves past it.
        Assert.True(SourceFailures.IsPermanent(Assert.Single(run.Failures)));
        Assert.DoesNotContain(_cloud.Downloads, download => download.Host == "localhost" && download.Authorization.Length > 0);
        if (!handlerFollowsRedirects) Assert.DoesNotContain(_cloud.Downloads, download => download.Host == "localhost");
        var entry = (await _store.GetAsync("wamid.redirect", default))!;
        Assert.Equal(PendingMediaStatus.DeadLettered, entry.Status);
        Assert.Contains("not on an allowed https host", entry.DeadLetterReason);
    }

    [Fact]
    public async Task A_download_redirected_to_an_allowed_media_host_is_followed_with_the_token()
    {
        using var http = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false });
        var source = Source(http, new WhatsAppOptions { GraphBaseUrl = _cloud.BaseUrl, MaxAttempts = 3, MediaHosts = ["localhost"] });
        var content = Encoding.UTF8.GetBytes("%PDF-1.7 from the CDN");
        _cloud.Add("m-cdn", content);
        _cloud.DownloadRedirectBaseUrl = OtherHost();
        await AddPendingAsync("wamid.cdn", "m-cdn", FakeCloudApi.HexSha256(content));

        var run = await HostEmulation.RunAsync(source);

        Assert.Equal("wamid.cdn", Assert.Single(run.Documents).Document.SourceId);
        Assert.Equal(["127.0.0.1", "localhost"], _cloud.Downloads.Select(download => download.Host));
        Assert.All(_cloud.Downloads, download => Assert.Equal("Bearer " + FakeCloudApi.AccessToken, download.Authorization));
    }

    /// <summary>The same fake under another name.</summary>
    private Uri OtherHost() => new(_cloud.BaseUrl.ToString().Replace("127.0.0.1", "localhost", StringComparison.Ordinal));

    private WhatsAppMediaSource Source(HttpClient http, WhatsAppOptions settings)
    {
        var options = Options.Create(settings);
        return new WhatsAppMediaSource(_store, new WhatsAppMediaClient(http, new FakeSecrets(), options),
            new WhatsAppMetrics(_services.GetRequiredService<IMeterFactory>()), _clock, options, NullLogger<WhatsAppMediaSource>.Instance);
    }

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

    private Task AddPendingAsync(string wamid, string mediaId, string? sha256, string mediaType = "document", string mimeType = "application/pdf",
        string? fileName = null, string? caption = null, DateTimeOffset? at = null) =>
        _store.AddAsync(new PendingMedia(wamid, mediaId, mediaType, mimeType, sha256, fileName, caption, Sender, "Anitha K",
            WhatsAppPayloads.PhoneNumberId, WhatsAppPayloads.DisplayPhoneNumber, at ?? _clock.GetUtcNow().AddMinutes(-1), _clock.GetUtcNow()), CancellationToken.None);
}
