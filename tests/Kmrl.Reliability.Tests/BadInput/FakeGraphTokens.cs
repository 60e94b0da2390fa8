using Kmrl.Testing.Fakes;
using Microsoft.Kiota.Abstractions.Authentication;

namespace Kmrl.Reliability.Tests.BadInput;

/// <summary>The bearer token FakeGraph accepts, for loopback only (there is no Entra ID here).</summary>
public sealed class FakeGraphTokens : IAccessTokenProvider
{
    public AllowedHostsValidator AllowedHostsValidator { get; } = new(["127.0.0.1"]);

    public Task<string> GetAuthorizationTokenAsync(Uri uri, Dictionary<string, object>? additionalAuthenticationContext = null,
        CancellationToken cancellationToken = default) =>
        Task.FromResult(AllowedHostsValidator.IsUrlHostValid(uri) ? FakeGraph.Token : string.Empty);
}
