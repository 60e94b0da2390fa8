namespace Kmrl.BuildingBlocks.Secrets;

/// <summary>
/// Reads credentials (passwords, tokens, API keys) from the deployment's secret store. A secret is a name with keys,
/// as a Kubernetes Secret is; callers ask for the final (name, key), so a lookup is one read and never a guess.
/// </summary>
public interface ISecretProvider
{
    /// <summary>One key of a secret; throws <see cref="SecretNotFoundException"/> when the secret or the key is missing or empty.</summary>
    Task<string> GetSecretAsync(string name, string key, CancellationToken cancellationToken);

    /// <summary>Every key of one secret (e.g. one key per API client); throws <see cref="SecretNotFoundException"/> when it does not exist.</summary>
    Task<IReadOnlyDictionary<string, string>> GetSecretValuesAsync(string name, CancellationToken cancellationToken);
}

public sealed class SecretNotFoundException : Exception
{
    public SecretNotFoundException(string name, string? key, string store, Exception? innerException = null)
        : base(key is null
            ? $"Secret '{name}' is missing in the Dapr secret store '{store}'."
            : $"Key '{key}' of secret '{name}' is missing or empty in the Dapr secret store '{store}'.", innerException)
    {
        Name = name;
        Key = key;
    }

    public string Name { get; }

    public string? Key { get; }
}
