using System.ComponentModel.DataAnnotations;
using Kmrl.BuildingBlocks.Secrets;

namespace Kmrl.Connectors.Maximo.Rest;

public enum MaximoAuthMode
{
    /// <summary>Maximo Application Suite: <c>apikey</c> header, API under <c>/maximo/api</c>.</summary>
    ApiKey,

    /// <summary>Maximo 7.6 native authentication: <c>maxauth: base64(user:password)</c>, API under <c>/maximo/oslc</c>.</summary>
    MaxAuth,
}

/// <summary>One Maximo object structure whose records' attachments (doclinks) become documents.</summary>
public sealed class MaximoRestOptions : IValidatableObject
{
    /// <summary>Source name (checkpoint key), e.g. <c>maximo/mxapiwodetail</c>.</summary>
    [Required]
    public string Name { get; set; } = string.Empty;

    /// <summary>Scheme and host of Maximo, e.g. <c>https://maximo.kmrl.example</c>.</summary>
    [Required]
    public Uri? BaseUrl { get; set; }

    public MaximoAuthMode AuthMode { get; set; } = MaximoAuthMode.ApiKey;

    /// <summary>API root; defaults to <c>/maximo/api</c> (ApiKey) or <c>/maximo/oslc</c> (MaxAuth).</summary>
    public string? ApiPath { get; set; }

    /// <summary>
    /// The server's secret in the secret store (e.g. <c>maximo</c>): key <c>apikey</c> for ApiKey; keys
    /// <c>username</c> and <c>password</c> for MaxAuth.
    /// </summary>
    [Required]
    [SecretName]
    public string Secret { get; set; } = string.Empty;

    [Required]
    public string ObjectStructure { get; set; } = "mxapiwodetail";

    /// <summary>The record's business key: <c>wonum</c> for work orders, <c>assetnum</c> for assets.</summary>
    [Required]
    public string KeyField { get; set; } = "wonum";

    [Range(1, 1000)]
    public int PageSize { get; set; } = 100;

    /// <summary>Tries per GET when Maximo answers 5xx/429/408, the connection fails or an attempt times out (<see cref="MaximoRetry"/>).</summary>
    [Range(1, 10)]
    public int Attempts { get; set; } = 3;

    /// <summary>Base of Polly's exponential backoff with jitter between tries; Maximo's Retry-After wins when sent.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:10:00")]
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Lab opt-out: lets <see cref="BaseUrl"/> be plain <c>http</c>, which sends the API key or <c>maxauth</c> password
    /// in clear text. Never in production.
    /// </summary>
    public bool AllowInsecureHttp { get; set; }

    public string EffectiveApiPath => (ApiPath ?? (AuthMode == MaximoAuthMode.ApiKey ? "/maximo/api" : "/maximo/oslc")).TrimEnd('/');

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (BaseUrl is { IsAbsoluteUri: false })
        {
            yield return new ValidationResult("BaseUrl must be absolute.", [nameof(BaseUrl)]);
        }
        else if (BaseUrl is not null && BaseUrl.Scheme != Uri.UriSchemeHttps && !(AllowInsecureHttp && BaseUrl.Scheme == Uri.UriSchemeHttp))
        {
            yield return new ValidationResult(
                $"BaseUrl '{BaseUrl}' must be https: the API key or password would travel in clear text. A lab server without TLS needs AllowInsecureHttp: true.",
                [nameof(BaseUrl)]);
        }
    }
}
