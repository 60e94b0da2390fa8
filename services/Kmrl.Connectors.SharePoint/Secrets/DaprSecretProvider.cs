using System.Collections.Concurrent;
using Dapr.Client;
using Kmrl.Contracts;
using Microsoft.Extensions.Options;

namespace Kmrl.Connectors.SharePoint.Secrets;

/// <summary>Secrets from the Dapr secret store, cached briefly so token refreshes do not hit the sidecar each time.</summary>
public sealed class DaprSecretProvider(DaprClient dapr, TimeProvider time, IOptions<SharePointOptions> options) : ISecretProvider
{
    private readonly ConcurrentDictionary<string, (string Value, DateTimeOffset Expires)> _cache = new(StringComparer.Ordinal);

    public async ValueTask<string> GetSecretAsync(string name, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        if (_cache.TryGetValue(name, out var cached) && cached.Expires > now)
        {
            return cached.Value;
        }
        var values = await dapr.GetSecretAsync(DaprNames.Components.SecretStore, name, cancellationToken: cancellationToken);
        // The local file store answers {name: value}; Kubernetes secrets may carry one differently named key.
        var value = values.TryGetValue(name, out var exact) ? exact
            : values.Count == 1 ? values.Values.Single()
            : throw new InvalidOperationException($"Secret '{name}' has no single value.");
        if (string.IsNullOrEmpty(value))
        {
            throw new InvalidOperationException($"Secret '{name}' is empty.");
        }
        _cache[name] = (value, now + options.Value.SecretCacheDuration);
        return value;
    }
}
