using Kmrl.Testing.Fakes;
using Microsoft.Kiota.Abstractions.Authentication;

namespace Kmrl.Bench.Connectors;

/// <summary>The fake Graph's bearer for 127.0.0.1 only (Kiota sends no Authorization header to other hosts).</summary>
public sealed class FakeGraphTokenProvider : IAccessTokenProvider
{
    public AllowedHostsValidator AllowedHostsValidator { get; } = new(["127.0.0.1"]);

    public Task<string> GetAuthorizationTokenAsync(Uri uri, Dictionary<string, object>? additionalAuthenticationContext = null,
        CancellationToken cancellationToken = default) =>
        Task.FromResult(AllowedHostsValidator.IsUrlHostValid(uri) ? FakeGraph.Token : string.Empty);
}
