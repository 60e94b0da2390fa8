namespace Kmrl.Connectors.SharePoint.Secrets;

/// <summary>Reads a named secret (tenant id, client id, client secret).</summary>
public interface ISecretProvider
{
    ValueTask<string> GetSecretAsync(string name, CancellationToken cancellationToken);
}
