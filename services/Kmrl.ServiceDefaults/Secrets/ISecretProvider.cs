namespace Kmrl.ServiceDefaults.Secrets;

/// <summary>Reads a named secret (a password, a token, an API key) from wherever the deployment keeps them.</summary>
public interface ISecretProvider
{
    /// <summary>The secret's value; throws <see cref="SecretNotFoundException"/> when it is missing or empty.</summary>
    Task<string> GetSecretAsync(string name, CancellationToken cancellationToken);

    /// <summary>
    /// One key of a multi-key secret (a Kubernetes secret with <c>username</c> and <c>password</c>). A file store
    /// flattens nested JSON with ":", so there the same value is the secret named <c>name:key</c>.
    /// </summary>
    Task<string> GetSecretAsync(string name, string key, CancellationToken cancellationToken) =>
        GetSecretAsync(name + ":" + key, cancellationToken);
}

public sealed class SecretNotFoundException(string name, string store)
    : Exception($"Secret '{name}' is missing or empty in the Dapr secret store '{store}'.")
{
    public string Name { get; } = name;
}
