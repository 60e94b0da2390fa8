using YamlDotNet.Serialization;

namespace Kmrl.Dapr.Testing.Runtime;

/// <summary>
/// The sidecar Configuration's <c>spec.secrets.scopes</c>: per store a <c>defaultAccess</c> (allow unless "deny"),
/// <c>allowedSecrets</c> and <c>deniedSecrets</c>. Decided as dapr/dapr pkg/config/configuration.go
/// <c>SecretsScope.IsSecretAllowed</c> does: a non-empty allowed list admits exactly its names, else a denied name is
/// refused, else the default access; a store without a scope allows everything. Names compare exactly. A refused
/// GetSecret is PermissionDenied <c>access denied by policy to get "name" from "store"</c> (pkg/api/universal/
/// secrets.go, pkg/api/errors secrets.go); GetBulkSecret leaves refused secrets out.
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
                scopes[store] = new Scope(
                    string.Equals(Value(item, "defaultAccess") as string, "deny", StringComparison.OrdinalIgnoreCase),
                    Names(item, "allowedSecrets"),
                    Names(item, "deniedSecrets"));
            }
        }
        return new SecretScopes(scopes);
    }

    private static IReadOnlySet<string> Names(Dictionary<object, object> item, string key) =>
        Value(item, key) is List<object> names ? names.Select(n => n.ToString()!).ToHashSet(StringComparer.Ordinal) : new HashSet<string>();

    private static object? Value(Dictionary<object, object> map, string key) => map.TryGetValue(key, out var value) ? value : null;
}
