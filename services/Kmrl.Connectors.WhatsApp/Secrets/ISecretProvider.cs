namespace Kmrl.Connectors.WhatsApp.Secrets;

/// <summary>Reads a named secret (access token, app secret, verify token).</summary>
public interface ISecretProvider
{
    ValueTask<string> GetSecretAsync(string name, CancellationToken cancellationToken);
}
