using System.ComponentModel.DataAnnotations;
using Kmrl.BuildingBlocks.Secrets;
using Kmrl.Contracts;

namespace Kmrl.Connectors.WhatsApp;

/// <summary>Configuration section <c>WhatsApp</c>.</summary>
public sealed class WhatsAppOptions : IValidatableObject
{
    public const string SectionName = "WhatsApp";

    /// <summary>Media types the connector can take in; <see cref="AcceptedTypes"/> must be a subset.</summary>
    public static readonly IReadOnlySet<string> KnownMediaTypes =
        new HashSet<string>(["document", "image", "video", "audio"], StringComparer.Ordinal);

    /// <summary>Name of the <see cref="IDocumentSource"/> (checkpoint key, sync request target).</summary>
    [Required]
    public string SourceName { get; set; } = "whatsapp-inbound";

    /// <summary>Graph API host of the Cloud API. https, or http only for loopback (tests).</summary>
    [Required]
    public Uri GraphBaseUrl { get; set; } = new("https://graph.facebook.com");

    /// <summary>Graph API version segment, e.g. <c>v23.0</c>.</summary>
    [Required, RegularExpression(@"^v\d+\.\d+$")]
    public string ApiVersion { get; set; } = "v23.0";

    public static readonly IReadOnlyList<string> DefaultAcceptedTypes = ["document", "image"];

    /// <summary>
    /// Message types persisted for download; empty means <see cref="DefaultAcceptedTypes"/>. Video and audio only
    /// when listed here. (No initializer: the configuration binder appends to a list instead of replacing it.)
    /// </summary>
    public List<string> AcceptedTypes { get; set; } = [];

    public IReadOnlyList<string> EffectiveAcceptedTypes => AcceptedTypes.Count == 0 ? DefaultAcceptedTypes : AcceptedTypes;

    /// <summary>Sender numbers (wa_id, digits only) allowed to submit documents; empty = everyone.</summary>
    public List<string> AllowedSenders { get; set; } = [];

    /// <summary>
    /// How long the Cloud API keeps received media retrievable. Items older than this are dead-lettered without
    /// calling the API. (Attempts per item are the host's: <c>Connector:MaxDocumentAttempts</c>.) Meta's figures differ by page (7 days in our notes, 30 days for media ids), so the default
    /// is the longer one; an id that is gone earlier answers 404 and is dead-lettered for that reason instead.
    /// </summary>
    public TimeSpan MediaRetention { get; set; } = TimeSpan.FromDays(30);

    /// <summary>
    /// The port the public webhook is served on, apart from the app port (probes, daprd, operators). When set, that
    /// port answers the webhook only and the app port never answers it, so the ingress and a NetworkPolicy can expose
    /// the one anonymous route and nothing else (k8s: 8081, <c>ASPNETCORE_HTTP_PORTS=8080;8081</c>). Unset: one port.
    /// </summary>
    [Range(1, 65535)]
    public int? WebhookPort { get; set; }

    /// <summary>Webhook bodies above this are refused (Meta's payloads are a few kB).</summary>
    [Range(1024, 16 * 1024 * 1024)]
    public int MaxWebhookBodyBytes { get; set; } = 1024 * 1024;

    /// <summary>
    /// The Cloud API app's secret in the Dapr secret store, with keys <c>access-token</c> (media API bearer),
    /// <c>app-secret</c> (webhook signatures) and <c>verify-token</c> (webhook subscription handshake).
    /// </summary>
    [Required]
    [SecretName]
    public string Secret { get; set; } = DaprNames.Secrets.WhatsApp;

    /// <summary>Meta's media CDN: the host of the download URLs the Cloud API hands out.</summary>
    public static readonly IReadOnlyList<string> DefaultMediaHosts = ["lookaside.fbsbx.com"];

    /// <summary>
    /// Hosts the access token may be sent to for a download, besides <see cref="GraphBaseUrl"/>'s; a leading dot
    /// allows subdomains (<c>.fbcdn.net</c>). Empty means <see cref="DefaultMediaHosts"/>. A media URL on any other
    /// host, or not https, is dead-lettered without a request.
    /// </summary>
    public List<string> MediaHosts { get; set; } = [];

    public IReadOnlyList<string> EffectiveMediaHosts => MediaHosts.Count == 0 ? DefaultMediaHosts : MediaHosts;

    /// <summary>Whether the bearer token may go to <paramref name="url"/>: https (http only to loopback when the Graph URL is loopback http, i.e. tests) on an allowed host.</summary>
    public bool IsAllowedMediaUrl(Uri url)
    {
        if (!url.IsAbsoluteUri)
        {
            return false;
        }
        var secure = url.Scheme == Uri.UriSchemeHttps
                     || (url.Scheme == Uri.UriSchemeHttp && url.IsLoopback && GraphBaseUrl.Scheme == Uri.UriSchemeHttp && GraphBaseUrl.IsLoopback);
        var host = url.IdnHost;
        var allowed = string.Equals(host, GraphBaseUrl.IdnHost, StringComparison.OrdinalIgnoreCase)
                      || EffectiveMediaHosts.Any(h => h.StartsWith('.')
                          ? host.EndsWith(h, StringComparison.OrdinalIgnoreCase)
                          : string.Equals(host, h, StringComparison.OrdinalIgnoreCase));
        return secure && allowed;
    }

    /// <summary>Timeout of one media API call or download.</summary>
    public TimeSpan HttpTimeout { get; set; } = TimeSpan.FromMinutes(5);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (!GraphBaseUrl.IsAbsoluteUri
            || (GraphBaseUrl.Scheme != Uri.UriSchemeHttps && !(GraphBaseUrl.Scheme == Uri.UriSchemeHttp && GraphBaseUrl.IsLoopback)))
        {
            yield return new ValidationResult("GraphBaseUrl must be an absolute https URL (http only for loopback).", [nameof(GraphBaseUrl)]);
        }
        foreach (var type in AcceptedTypes.Where(t => !KnownMediaTypes.Contains(t)))
        {
            yield return new ValidationResult($"Unknown media type '{type}' in AcceptedTypes.", [nameof(AcceptedTypes)]);
        }
        if (MediaRetention <= TimeSpan.Zero)
        {
            yield return new ValidationResult("MediaRetention must be positive.", [nameof(MediaRetention)]);
        }
        if (HttpTimeout <= TimeSpan.Zero)
        {
            yield return new ValidationResult("HttpTimeout must be positive.", [nameof(HttpTimeout)]);
        }
    }
}
