namespace Kmrl.ServiceDefaults.Secrets;

/// <summary>Reads a named secret (a password, a token, an API key) from wherever the deployment keeps them.</summary>
public interface ISecretProvider
{
    /// <summary>The secret's value; throws <see cref="SecretNotFoundException"/> when it is missing or empty.</summary>
    Task<string> GetSecretAsync(string name, CancellationToken cancellationToken);
}

public sealed class SecretNotFoundException(string name, string store)
    : Exception($"Secret '{name}' is missing or empty in the Dapr secret store '{store}'.")
{
    public string Name { get; } = name;
}
