using System.Collections.Concurrent;
using Dapr.Client;
using Grpc.Core;
using Kmrl.Contracts;

namespace Kmrl.BuildingBlocks.Secrets;

/// <summary>
/// Secrets from the Dapr secret store component, one GetSecret per secret name (never BulkGet: on Kubernetes that lists
/// every Secret in the namespace). A secret's keys are cached for a minute, so a webhook burst or a REST page loop costs
/// no sidecar call per request and a rotated secret is still picked up without a restart. A secret the store says it
/// cannot give is remembered for a few seconds, so a misconfigured source does not ask the store on every call.
/// </summary>
public sealed class DaprSecretProvider(DaprClient daprClient, TimeProvider timeProvider) : ISecretProvider
{
    public static readonly TimeSpan CacheDuration = TimeSpan.FromMinutes(1);
    public static readonly TimeSpan NegativeCacheDuration = TimeSpan.FromSeconds(10);

    private const string Store = DaprNames.Components.SecretStore;
    private readonly ConcurrentDictionary<string, Entry> _cache = new(StringComparer.Ordinal);

    public async Task<string> GetSecretAsync(string name, string key, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(key);
        var values = await GetSecretValuesAsync(name, cancellationToken);
        return values.TryGetValue(key, out var value) && !string.IsNullOrEmpty(value)
            ? value
            : throw new SecretNotFoundException(name, key, Store);
    }

    public async Task<IReadOnlyDictionary<string, string>> GetSecretValuesAsync(string name, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        var now = timeProvider.GetUtcNow();
        if (_cache.TryGetValue(name, out var cached) && cached.Expires > now)
        {
            return cached.Values ?? throw new SecretNotFoundException(name, key: null, Store, cached.Error);
        }

        try
        {
            var values = await daprClient.GetSecretAsync(Store, name, cancellationToken: cancellationToken);
            IReadOnlyDictionary<string, string> copy = new Dictionary<string, string>(values, StringComparer.Ordinal);
            _cache[name] = new Entry(copy, null, now + CacheDuration);
            return copy;
        }
        catch (global::Dapr.DaprException exception) when (exception.InnerException is RpcException rpc && IsAnswer(rpc.StatusCode))
        {
            // The store answered (no such secret, not allowed, no such store): asking again at once gives the same.
            _cache[name] = new Entry(null, exception, now + NegativeCacheDuration);
            throw new SecretNotFoundException(name, key: null, Store, exception);
        }
    }

    /// <summary>
    /// daprd's codes for a store that answered (dapr pkg/api/errors secrets.go): Internal wraps the store's own error
    /// ("secret x not found", a Kubernetes 404 or 403), InvalidArgument an unknown store, PermissionDenied the secret
    /// scopes, FailedPrecondition no store at all. Unavailable or a deadline is the sidecar, not the secret: not cached.
    /// </summary>
    private static bool IsAnswer(StatusCode code) =>
        code is StatusCode.Internal or StatusCode.InvalidArgument or StatusCode.PermissionDenied or StatusCode.FailedPrecondition or StatusCode.NotFound;

    private sealed record Entry(IReadOnlyDictionary<string, string>? Values, Exception? Error, DateTimeOffset Expires);
}
