using Dapr.Client;
using Kmrl.Contracts;
using Kmrl.DocumentApi.Ports;

namespace Kmrl.DocumentApi.Adapters;

/// <summary>
/// All secrets of the store, flattened: the local file store (nestedSeparator ":") already gives
/// "document-api:api-keys:client" as the secret name; a store with nested values gives "name:key".
/// </summary>
public sealed class DaprSecretProvider(DaprClient dapr) : ISecretProvider
{
    public async Task<IReadOnlyDictionary<string, string>> GetAllAsync(CancellationToken cancellationToken)
    {
        var secrets = await dapr.GetBulkSecretAsync(DaprNames.Components.SecretStore, cancellationToken: cancellationToken);
        var flat = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, values) in secrets)
        {
            foreach (var (key, value) in values)
            {
                flat[key == name ? name : name + ":" + key] = value;
            }
        }
        return flat;
    }
}
