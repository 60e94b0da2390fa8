using System.ComponentModel.DataAnnotations;
using Kmrl.BuildingBlocks.Secrets;
using Kmrl.Contracts;

namespace Kmrl.Connectors.SharePoint;

public enum InitialSyncMode
{
    /// <summary>The first run enumerates the whole library.</summary>
    ImportAll,

    /// <summary>The first run only takes a <c>delta(token='latest')</c> link; later changes flow from there.</summary>
    StartFromLatest,
}

/// <summary>Configuration section <c>SharePoint</c>.</summary>
public sealed class SharePointOptions : IValidatableObject
{
    public const string SectionName = "SharePoint";

    /// <summary>Graph root including the version, e.g. <c>https://graph.microsoft.com/v1.0</c> (http only for loopback).</summary>
    [Required]
    public Uri GraphBaseUrl { get; set; } = new("https://graph.microsoft.com/v1.0");

    /// <summary>
    /// The app registration's secret in the Dapr secret store, with keys <c>tenant-id</c>, <c>client-id</c> and
    /// <c>client-secret</c>.
    /// </summary>
    [Required]
    [SecretName]
    public string Secret { get; set; } = DaprNames.Secrets.SharePoint;

    /// <summary>
    /// The Microsoft Entra ID authority the app-only tokens come from (Azure.Identity <c>AuthorityHost</c>): the public
    /// cloud by default; a national cloud (<c>https://login.microsoftonline.us/</c>) or a private authority otherwise.
    /// https only, as MSAL requires.
    /// </summary>
    [Required]
    public Uri AuthorityHost { get; set; } = new("https://login.microsoftonline.com/");

    /// <summary>
    /// Skip MSAL's instance discovery, which asks login.microsoftonline.com whether <see cref="AuthorityHost"/> is an
    /// Entra authority: only for a private authority that Microsoft does not know (Azure Stack, the local demo's).
    /// </summary>
    public bool DisableInstanceDiscovery { get; set; }

    /// <summary>
    /// A PEM file with the one root certificate the authority's TLS certificate must chain to, in place of the
    /// system's trusted roots, for the token requests only (host name and validity are still checked). Unset (the
    /// default) means the system's roots, as for every other TLS connection; the local demo pins its own authority.
    /// </summary>
    public string? AuthorityRootCertificateFile { get; set; }

    /// <summary>Applies to libraries without their own <see cref="SharePointLibraryOptions.InitialSync"/>.</summary>
    public InitialSyncMode InitialSync { get; set; } = InitialSyncMode.ImportAll;

    /// <summary>Retries of the SDK's retry handler for 429/503/504 (it honours Retry-After); Kiota allows at most 10.</summary>
    [Range(0, 10)]
    public int MaxRetries { get; set; } = 6;

    /// <summary>
    /// Read each changed file's list-item fields (title, content type, custom columns). Delta cannot expand
    /// <c>listItem</c>, so this costs one <c>GET /items/{id}?$expand=listItem($expand=fields)</c> per changed file.
    /// </summary>
    public bool IncludeListItemFields { get; set; } = true;

    public List<SharePointLibraryOptions> Libraries { get; set; } = [];

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (!GraphBaseUrl.IsAbsoluteUri
            || (GraphBaseUrl.Scheme != Uri.UriSchemeHttps && !(GraphBaseUrl.Scheme == Uri.UriSchemeHttp && GraphBaseUrl.IsLoopback)))
        {
            yield return new ValidationResult("GraphBaseUrl must be an absolute https URL (http only for loopback).", [nameof(GraphBaseUrl)]);
        }
        if (!AuthorityHost.IsAbsoluteUri || AuthorityHost.Scheme != Uri.UriSchemeHttps)
        {
            yield return new ValidationResult("AuthorityHost must be an absolute https URL.", [nameof(AuthorityHost)]);
        }
        if (AuthorityRootCertificateFile is { Length: > 0 } pem && !File.Exists(pem))
        {
            yield return new ValidationResult($"AuthorityRootCertificateFile '{pem}' does not exist.", [nameof(AuthorityRootCertificateFile)]);
        }
        for (var i = 0; i < Libraries.Count; i++)
        {
            var library = Libraries[i];
            if (string.IsNullOrWhiteSpace(library.Site) || string.IsNullOrWhiteSpace(library.Library))
            {
                yield return new ValidationResult($"Libraries[{i}] needs Site and Library.", [nameof(Libraries)]);
            }
        }
        var names = Libraries.Select(l => l.SourceName).ToList();
        if (names.Distinct(StringComparer.OrdinalIgnoreCase).Count() != names.Count)
        {
            yield return new ValidationResult("Library source names must be unique.", [nameof(Libraries)]);
        }
    }
}

/// <summary>One document library to watch.</summary>
public sealed class SharePointLibraryOptions
{
    /// <summary>Site URL (<c>https://kmrl.sharepoint.com/sites/Engineering</c>) or Graph site id.</summary>
    public string Site { get; set; } = "";

    /// <summary>Library (drive) name as shown in SharePoint, or its drive id.</summary>
    public string Library { get; set; } = "";

    /// <summary>Only files under these folders (library-relative, e.g. <c>/Drawings/Approved</c>); empty = the whole library.</summary>
    public List<string> FolderPaths { get; set; } = [];

    public InitialSyncMode? InitialSync { get; set; }

    /// <summary>Source name override; by default <c>sharepoint/{site}/{library}</c> from the configured values.</summary>
    public string? Name { get; set; }

    public string SourceName => Name ?? $"sharepoint/{SiteKey}/{Library}";

    private string SiteKey => Uri.TryCreate(Site, UriKind.Absolute, out var url) ? url.Host + url.AbsolutePath.TrimEnd('/') : Site;
}
