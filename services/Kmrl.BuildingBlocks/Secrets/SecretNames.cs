using System.Text.RegularExpressions;

namespace Kmrl.BuildingBlocks.Secrets;

/// <summary>
/// What Kubernetes accepts as a Secret's name (k8s.io/apimachinery validation IsDNS1123Subdomain). A configured name
/// outside it cannot exist in the production secret store, so options refuse it at start. Keys are fixed by the code
/// (DaprNames.Secrets) and checked by the deployment tests.
/// </summary>
public static partial class SecretNames
{
    public static bool IsValidName(string? name) =>
        name is { Length: > 0 and <= 253 } && NamePattern().IsMatch(name);

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$", RegexOptions.CultureInvariant | RegexOptions.NonBacktracking)]
    private static partial Regex NamePattern();
}

/// <summary>Options validation: the value is a secret name Kubernetes can hold (see <see cref="SecretNames"/>); null or empty is left to [Required].</summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class SecretNameAttribute : System.ComponentModel.DataAnnotations.ValidationAttribute
{
    public SecretNameAttribute()
        : base("{0} must be a Kubernetes secret name: lowercase letters, digits, '-' and '.' (no ':'), e.g. 'email-ops-mailbox'.")
    {
    }

    public override bool IsValid(object? value) => value is not string { Length: > 0 } name || SecretNames.IsValidName(name);
}
