using Kmrl.Connectors.SharePoint;
using Kmrl.Connectors.SharePoint.Graph;
using Kmrl.ServiceDefaults.Secrets;
using Microsoft.Extensions.Options;

namespace Kmrl.Connectors.SharePoint.Tests;

public sealed class ClientSecretTokenProviderTests
{
    /// <summary>Records each (name, key) asked for; the last key is missing, so no token request leaves the machine.</summary>
    private sealed class RecordingSecrets : ISecretProvider
    {
        public List<(string Name, string Key)> Asked { get; } = [];

        public Task<string> GetSecretAsync(string name, string key, CancellationToken cancellationToken)
        {
            Asked.Add((name, key));
            return key == "client-secret" ? throw new SecretNotFoundException(name, key, "recording") : Task.FromResult("00000000-0000-0000-0000-000000000000");
        }

        public Task<IReadOnlyDictionary<string, string>> GetSecretValuesAsync(string name, CancellationToken cancellationToken) =>
            throw new InvalidOperationException("The token provider asks for its three keys.");
    }

    [Fact]
    public async Task The_app_registration_is_read_as_three_keys_of_the_one_sharepoint_secret()
    {
        var secrets = new RecordingSecrets();
        var provider = new ClientSecretTokenProvider(secrets, Options.Create(new SharePointOptions()));

        await Assert.ThrowsAsync<SecretNotFoundException>(() => provider.GetAuthorizationTokenAsync(new Uri("https://graph.microsoft.com/v1.0/sites")));

        Assert.Equal([("sharepoint", "tenant-id"), ("sharepoint", "client-id"), ("sharepoint", "client-secret")], secrets.Asked);
    }
}
