using System.Collections.Concurrent;
using Dapr.Client;
using Kmrl.Contracts;

namespace Kmrl.ServiceDefaults.Secrets;

/// <summary>
/// Secrets from the Dapr secret store component. Values are cached for a minute: a webhook burst must not cost a
/// sidecar call per request, and a rotated secret is still picked up quickly without a restart.
/// </summary>
public sealed class DaprSecretProvider(DaprClient daprClient, TimeProvider timeProvider) : ISecretProvider
{
    public static readonly TimeSpan CacheDuration = TimeSpan.FromMinutes(1);
    private readonly ConcurrentDictionary<string, (string Value, DateTimeOffset Expires)> _cache = new(StringComparer.Ordinal);

    public async Task<string> GetSecretAsync(string name, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        var now = timeProvider.GetUtcNow();
        if (_cache.TryGetValue(name, out var cached) && cached.Expires > now)
        {
            return cached.Value;
        }

        var values = await daprClient.GetSecretAsync(DaprNames.Components.SecretStore, name, cancellationToken: cancellationToken);
        // The local file store answers {name: value}; a Kubernetes secret holds one key named otherwise.
        var value = values.TryGetValue(name, out var exact) ? exact
            : values.Count == 1 ? values.Values.Single()
            : null;
        if (string.IsNullOrEmpty(value))
        {
            throw new SecretNotFoundException(name, DaprNames.Components.SecretStore);
        }
        _cache[name] = (value, now + CacheDuration);
        return value;
    }
}
