using YamlDotNet.Serialization;

namespace Kmrl.Dapr.Testing.Runtime;

/// <summary>
/// The sidecar Configuration's <c>spec.secrets.scopes</c>: per store a <c>defaultAccess</c> (allow unless "deny"),
/// <c>allowedSecrets</c> and <c>deniedSecrets</c>. Decided as dapr/dapr pkg/config/configuration.go
/// <c>SecretsScope.IsSecretAllowed</c> does: a non-empty allowed list admits exactly its names, else a denied name is
/// refused, else the default access; a store without a scope allows everything. Names compare exactly. A refused
/// GetSecret is PermissionDenied <c>access denied by policy to get "name" from "store"</c> (pkg/api/universal/
/// secrets.go, pkg/api/errors secrets.go); GetBulkSecret leaves refused secrets out. A Configuration that names a store
/// twice or gives a <c>defaultAccess</c> other than allow/deny is refused when it is loaded, as
/// <c>sortAndValidateSecretsConfiguration</c> refuses it (daprd does not start).
/// </summary>
public sealed class SecretScopes
{
    public static readonly SecretScopes None = new(new Dictionary<string, Scope>());

    private readonly IReadOnlyDictionary<string, Scope> _scopes;

    private SecretScopes(IReadOnlyDictionary<string, Scope> scopes) => _scopes = scopes;

    private sealed record Scope(bool DenyByDefault, IReadOnlySet<string> Allowed, IReadOnlySet<string> Denied);

    public bool IsAllowed(string store, string secret)
    {
        if (!_scopes.TryGetValue(store, out var scope))
        {
            return true;
        }
        if (scope.Allowed.Count > 0)
        {
            return scope.Allowed.Contains(secret);
        }
        return !scope.Denied.Contains(secret) && !scope.DenyByDefault;
    }

    /// <summary>The scopes of a Configuration file (null: the sidecar runs without one).</summary>
    public static SecretScopes Read(string? configurationFile)
    {
        if (configurationFile is null)
        {
            return None;
        }
        var document = new DeserializerBuilder().Build().Deserialize<Dictionary<object, object>?>(File.ReadAllText(configurationFile)) ?? [];
        var scopes = new Dictionary<string, Scope>(StringComparer.Ordinal);
        if (Value(document, "spec") is Dictionary<object, object> spec && Value(spec, "secrets") is Dictionary<object, object> secrets
            && Value(secrets, "scopes") is List<object> list)
        {
            foreach (var item in list.OfType<Dictionary<object, object>>())
            {
                var store = Value(item, "storeName") as string
                    ?? throw new InvalidOperationException($"{configurationFile}: a spec.secrets.scopes entry has no storeName.");
                if (scopes.ContainsKey(store))
                {
                    throw new InvalidOperationException($"{configurationFile}: \"{store}\" storeName is repeated in secrets configuration");
                }
                var access = Value(item, "defaultAccess") as string ?? string.Empty;
                if (access.Length > 0 && !access.Equals("allow", StringComparison.OrdinalIgnoreCase) && !access.Equals("deny", StringComparison.OrdinalIgnoreCase))
                {
                    throw new InvalidOperationException($"{configurationFile}: defaultAccess \"{access}\" can be either allow or deny");
                }
                scopes[store] = new Scope(access.Equals("deny", StringComparison.OrdinalIgnoreCase), Names(item, "allowedSecrets"), Names(item, "deniedSecrets"));
            }
        }
        return new SecretScopes(scopes);
    }

    /// <summary>
    /// These scopes with <paramref name="names"/> added to the allowed list of <paramref name="store"/>: what an
    /// operator does to the app's Configuration when a source with a new secret is configured (a test's or the demo's
    /// mailbox, a Maximo source). A store the Configuration does not scope allows every name already.
    /// </summary>
    public SecretScopes Allowing(string store, IEnumerable<string> names)
    {
        var added = names.ToList();
        if (added.Count == 0)
        {
            return this;
        }
        if (!_scopes.TryGetValue(store, out var scope))
        {
            throw new InvalidOperationException($"The Configuration does not scope secret store '{store}': every secret of it is allowed already.");
        }
        var scopes = new Dictionary<string, Scope>(_scopes, StringComparer.Ordinal)
        {
            [store] = scope with { Allowed = scope.Allowed.Concat(added).ToHashSet(StringComparer.Ordinal) },
        };
        return new SecretScopes(scopes);
    }

    private static IReadOnlySet<string> Names(Dictionary<object, object> item, string key) =>
        Value(item, key) is List<object> names ? names.Select(n => n.ToString()!).ToHashSet(StringComparer.Ordinal) : new HashSet<string>();

    private static object? Value(Dictionary<object, object> map, string key) => map.TryGetValue(key, out var value) ? value : null;
}
