using System.ComponentModel.DataAnnotations;
using Kmrl.BuildingBlocks.Secrets;

namespace Kmrl.ServiceDefaults.Security;

/// <summary>
/// Credentials of an app's routes: the API-key secret for callers (each app names its own section and default secret
/// when it calls <see cref="ApiSecurityExtensions.AddApiKeySecurity"/>) and Dapr's app token for the sidecar's calls.
/// </summary>
public sealed class ApiSecurityOptions
{
    /// <summary>The secret holding the API keys: each of its keys is a client, the value "key;role,role".</summary>
    [Required]
    [SecretName]
    public string ApiKeysSecret { get; set; } = "";

    [Range(1, 86_400)]
    public int ApiKeyCacheSeconds { get; set; } = 300;

    /// <summary>Dapr's APP_API_TOKEN: sidecar-to-app calls must carry it in dapr-api-token; unset is refused outside Development.</summary>
    public string? AppApiToken { get; set; }
}
