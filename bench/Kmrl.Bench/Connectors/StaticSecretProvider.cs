using Kmrl.BuildingBlocks.Secrets;

namespace Kmrl.Bench.Connectors;

/// <summary>One secret (a name with keys) from a dictionary, for sources driven directly (without the Dapr secret store).</summary>
public sealed class StaticSecretProvider(string secretName, IReadOnlyDictionary<string, string> keys) : ISecretProvider
{
    public Task<string> GetSecretAsync(string name, string key, CancellationToken cancellationToken) =>
        name == secretName && keys.TryGetValue(key, out var value) ? Task.FromResult(value) : throw new SecretNotFoundException(name, key, "bench");

    public Task<IReadOnlyDictionary<string, string>> GetSecretValuesAsync(string name, CancellationToken cancellationToken) =>
        name == secretName ? Task.FromResult(keys) : throw new SecretNotFoundException(name, key: null, "bench");
}
