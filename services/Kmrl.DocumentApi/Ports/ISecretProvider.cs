namespace Kmrl.DocumentApi.Ports;

/// <summary>Reads secrets from the secret store, flattened to "a:b:c" names.</summary>
public interface ISecretProvider
{
    Task<IReadOnlyDictionary<string, string>> GetAllAsync(CancellationToken cancellationToken);
}
