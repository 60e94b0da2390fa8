using Dapr.Client;
using Kmrl.Contracts;

namespace Kmrl.Connectors.Maximo.Secrets;

/// <summary>Reads one secret value; the only way this connector gets passwords, keys and API keys.</summary>
public interface ISecretProvider
{
    /// <summary>Returns the value of <paramref name="key"/> in secret <paramref name="name"/> (the key defaults to the name).</summary>
    Task<string> GetSecretAsync(string name, string? key, CancellationToken cancellationToken);
}

/// <summary>Secrets from the Dapr secret store component.</summary>
public sealed class DaprSecretProvider(DaprClient dapr) : ISecretProvider
{
    public async Task<string> GetSecretAsync(string name, string? key, CancellationToken cancellationToken)
    {
        var values = await dapr.GetSecretAsync(DaprNames.Components.SecretStore, name, cancellationToken: cancellationToken);
        var wanted = key ?? name;
        return values.TryGetValue(wanted, out var value)
            ? value
            : throw new InvalidOperationException($"Secret '{name}' has no key '{wanted}'.");
    }
}
