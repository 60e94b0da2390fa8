using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Kmrl.Testing.Fakes;

namespace Kmrl.Reliability.Tests.BadInput;

/// <summary>
/// The bad-input corpus for whatsapp-connector. Outcomes: <c>webhook:NNN</c> (refused before parsing, nothing
/// stored), <c>ignored</c> (verified but nothing to download), <c>discovered</c>, <c>discovered-once</c>,
/// <c>skipped:&lt;filter&gt;</c> (the host's filters, recorded and moved past), <c>dead-lettered:&lt;why&gt;</c>.
/// </summary>
public static class WebhookCases
{
    public const string AppSecret = "r3-whatsapp-app-secret";

    /// <summary>The host's size filter on the connector under test (the default is 100 MiB).</summary>
    public const int MaxSizeBytes = 64 * 1024;

    private const string Sender = "919847000042";

    public static IReadOnlyList<WebhookCase> All { get; } =
    [
        new("forged-signature-wrong-secret", "webhook:401", cloud =>
        {
            var body = DocumentBody(cloud, "wamid.R3.FORGED", "forged.pdf");
            return new WebhookDelivery(body, Sign(body, "not-the-app-secret"), "wamid.R3.FORGED");
        }),
        new("forged-signature-tampered-body", "webhook:401", cloud =>
        {
            var body = DocumentBody(cloud, "wamid.R3.TAMPERED", "tampered.pdf");
            var signature = Sign(body, AppSecret);
            return new WebhookDelivery(body.Replace(Sender, "919800000666", StringComparison.Ordinal), signature, "wamid.R3.TAMPERED");
        }),
        new("forged-signature-missing-header", "webhook:401", cloud => new WebhookDelivery(DocumentBody(cloud, "wamid.R3.UNSIGNED", "unsigned.pdf"), null, "wamid.R3.UNSIGNED")),
        new("forged-signature-not-hex", "webhook:401", cloud =>
            new WebhookDelivery(DocumentBody(cloud, "wamid.R3.NOTHEX", "nothex.pdf"), "sha256=" + new string('z', 64), "wamid.R3.NOTHEX")),
        new("forged-signature-sha1-prefix", "webhook:401", cloud =>
        {
            var body = DocumentBody(cloud, "wamid.R3.SHA1", "sha1.pdf");
            return new WebhookDelivery(body, Sign(body, AppSecret).Replace("sha256=", "sha1=", StringComparison.Ordinal), "wamid.R3.SHA1");
        }),
        new("webhook-body-over-1mib", "webhook:413", _ =>
        {
            var body = "{\"object\":\"whatsapp_business_account\",\"padding\":\"" + new string('p', 1_100_000) + "\"}";
            return new WebhookDelivery(body, Sign(body, AppSecret), null);
        }),
        new("signed-invalid-json", "webhook:400", _ => Signed("{\"object\": \"whatsapp_business_account\", \"entry\": [", null)),
        new("signed-json-array", "webhook:400", _ => Signed("[1, 2, 3]", null)),
        new("text-message-only", "ignored", _ => Signed(WhatsAppPayloads.Body([WhatsAppPayloads.Change(
            [WhatsAppPayloads.Message("wamid.R3.TEXT", Sender, "text")])]), "wamid.R3.TEXT")),
        new("video-not-an-accepted-type", "ignored", _ => Signed(WhatsAppPayloads.Body([WhatsAppPayloads.Change(
            [WhatsAppPayloads.Message("wamid.R3.VIDEO", Sender, "video", mimeType: "video/mp4")])]), "wamid.R3.VIDEO")),
        new("delivery-status-only", "ignored", _ => Signed(WhatsAppPayloads.Body([WhatsAppPayloads.Change(
            statuses: [WhatsAppPayloads.Status("wamid.R3.STATUS")])]), "wamid.R3.STATUS")),
        new("duplicate-webhook", "discovered-once", cloud =>
        {
            var body = DocumentBody(cloud, "wamid.R3.DUPLICATE", "duplicate.pdf");
            return new WebhookDelivery(body, Sign(body, AppSecret), "wamid.R3.DUPLICATE", Times: 3);
        }),
        new("sha256-mismatch-download", "dead-lettered:sha256-mismatch", cloud =>
        {
            var body = DocumentBody(cloud, "wamid.R3.CORRUPT", "corrupt.pdf", corrupt: true);
            return new WebhookDelivery(body, Sign(body, AppSecret), "wamid.R3.CORRUPT");
        }),
        new("media-id-unknown-at-cloud-api", "dead-lettered:media-not-found", _ => Signed(WhatsAppPayloads.Body([WhatsAppPayloads.Change(
            [WhatsAppPayloads.Message("wamid.R3.GONE", Sender, "document", mediaId: "media-never-uploaded", fileName: "gone.pdf")])]), "wamid.R3.GONE")),
        new("media-url-on-a-foreign-host", "dead-lettered:foreign-url", cloud =>
        {
            // The lookup names another host (the same fake under the name "localhost", so a token sent there would
            // be accepted and the document discovered): the bearer token must not go there.
            var body = DocumentBody(cloud, "wamid.R3.FOREIGN", "foreign.pdf", downloadBaseUrl: new UriBuilder(cloud.BaseUrl) { Host = "localhost" }.Uri);
            return new WebhookDelivery(body, Sign(body, AppSecret), "wamid.R3.FOREIGN", ForeignHost: "localhost");
        }),
        new("executable-attachment", "skipped:extension-not-allowed", cloud =>
        {
            var body = DocumentBody(cloud, "wamid.R3.EXE", "tool.exe", mimeType: "application/x-msdownload");
            return new WebhookDelivery(body, Sign(body, AppSecret), "wamid.R3.EXE");
        }),
        new("attachment-over-size-limit", "skipped:too-large", cloud =>
        {
            var content = new byte[MaxSizeBytes + 1];
            "%PDF-1.7 large"u8.CopyTo(content);
            var body = DocumentBody(cloud, "wamid.R3.LARGE", "large.pdf", content: content);
            return new WebhookDelivery(body, Sign(body, AppSecret), "wamid.R3.LARGE");
        }),
        new("path-traversal-file-name", "discovered:name=job.pdf", cloud =>
        {
            var body = DocumentBody(cloud, "wamid.R3.TRAVERSAL", "../../etc/cron.d/job.pdf");
            return new WebhookDelivery(body, Sign(body, AppSecret), "wamid.R3.TRAVERSAL");
        }),
        new("good-document", "discovered", cloud =>
        {
            var body = DocumentBody(cloud, "wamid.R3.GOOD", "track-inspection.pdf");
            return new WebhookDelivery(body, Sign(body, AppSecret), "wamid.R3.GOOD");
        }),
    ];

    public static TheoryData<string, string> Table
    {
        get
        {
            var data = new TheoryData<string, string>();
            foreach (var item in All)
            {
                data.Add(item.Name, item.Expected);
            }
            return data;
        }
    }

    public static string Sign(string body, string secret) =>
        "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(body)));

    /// <summary>A document message whose media exists at the fake Cloud API (content unique per message).</summary>
    public static string DocumentBody(FakeCloudApi cloud, string messageId, string fileName, string mimeType = "application/pdf",
        byte[]? content = null, bool corrupt = false, Uri? downloadBaseUrl = null)
    {
        content ??= Encoding.UTF8.GetBytes($"%PDF-1.7 R3 WhatsApp case {messageId}: inspection report");
        var mediaId = "media-" + messageId;
        var media = cloud.Add(mediaId, content, mimeType);
        media.CorruptDownloads = corrupt;
        media.DownloadBaseUrl = downloadBaseUrl;
        JsonObject[] messages = [WhatsAppPayloads.Message(messageId, Sender, "document", mediaId: mediaId, sha256: FakeCloudApi.HexSha256(content),
            fileName: fileName, mimeType: mimeType)];
        return WhatsAppPayloads.Body([WhatsAppPayloads.Change(messages, contacts: (Sender, "R3 sender"))]);
    }

    private static WebhookDelivery Signed(string body, string? messageId) => new(body, Sign(body, AppSecret), messageId);
}
