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

    public Task<string> GetSecretAsync(string name, CancellationToken cancellationToken) =>
        GetAsync(name, key: null, cancellationToken);

    public async Task<string> GetSecretAsync(string name, string key, CancellationToken cancellationToken)
    {
        try
        {
            return await GetAsync(name, key, cancellationToken);
        }
        catch (Exception exception) when (exception is SecretNotFoundException or global::Dapr.DaprException)
        {
            // secretstores.local.file: nested JSON is flattened, so the key is part of the name.
            return await GetAsync(name + ":" + key, key: null, cancellationToken);
        }
    }

    private async Task<string> GetAsync(string name, string? key, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        var cacheKey = key is null ? name : name + "\n" + key;
        var now = timeProvider.GetUtcNow();
        if (_cache.TryGetValue(cacheKey, out var cached) && cached.Expires > now)
        {
            return cached.Value;
        }

        var values = await daprClient.GetSecretAsync(DaprNames.Components.SecretStore, name, cancellationToken: cancellationToken);
        // The local file store answers {name: value}; a Kubernetes secret holds one key named otherwise.
        var value = key is not null ? values.GetValueOrDefault(key)
            : values.TryGetValue(name, out var exact) ? exact
            : values.Count == 1 ? values.Values.Single()
            : null;
        if (string.IsNullOrEmpty(value))
        {
            throw new SecretNotFoundException(key is null ? name : name + "/" + key, DaprNames.Components.SecretStore);
        }
        _cache[cacheKey] = (value, now + CacheDuration);
        return value;
    }
}
