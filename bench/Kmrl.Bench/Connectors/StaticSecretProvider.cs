using Kmrl.ServiceDefaults.Secrets;

namespace Kmrl.Bench.Connectors;

/// <summary>Secrets from a dictionary, for sources driven directly (without the Dapr secret store).</summary>
public sealed class StaticSecretProvider(IReadOnlyDictionary<string, string> secrets) : ISecretProvider
{
    public Task<string> GetSecretAsync(string name, CancellationToken cancellationToken) =>
        secrets.TryGetValue(name, out var value) ? Task.FromResult(value) : throw new SecretNotFoundException(name, "bench");
}
