using Dapr.Client;
using Kmrl.Contracts;

namespace Kmrl.Connectors.Email.Secrets;

/// <summary>Thin adapter over the Dapr secret store; read on every connect so a rotated secret is picked up.</summary>
public sealed class DaprSecretProvider(DaprClient dapr) : ISecretProvider
{
    public async Task<string> GetSecretAsync(string name, CancellationToken cancellationToken)
    {
        var values = await dapr.GetSecretAsync(DaprNames.Components.SecretStore, name, cancellationToken: cancellationToken);
        return values.TryGetValue(name, out var value) && !string.IsNullOrEmpty(value)
            ? value
            : throw new InvalidOperationException($"Secret '{name}' is missing or empty in '{DaprNames.Components.SecretStore}'.");
    }
}
