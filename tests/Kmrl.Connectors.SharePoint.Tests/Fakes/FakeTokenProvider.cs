using Microsoft.Kiota.Abstractions.Authentication;

namespace Kmrl.Connectors.SharePoint.Tests.Fakes;

/// <summary>A token provider that, like the production one, only hands its token to the Graph host.</summary>
public sealed class FakeTokenProvider : IAccessTokenProvider
{
    public AllowedHostsValidator AllowedHostsValidator { get; } = new(["127.0.0.1"]);

    public Task<string> GetAuthorizationTokenAsync(Uri uri, Dictionary<string, object>? additionalAuthenticationContext = null,
        CancellationToken cancellationToken = default) =>
        Task.FromResult(AllowedHostsValidator.IsUrlHostValid(uri) ? FakeGraph.Token : string.Empty);
}
