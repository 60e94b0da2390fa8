namespace Kmrl.Connectors.Email.Secrets;

/// <summary>Reads one secret (a password or an OAuth2 access token) by name.</summary>
public interface ISecretProvider
{
    Task<string> GetSecretAsync(string name, CancellationToken cancellationToken);
}
