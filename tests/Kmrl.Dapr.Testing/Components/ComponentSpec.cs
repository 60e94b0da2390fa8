namespace Kmrl.Dapr.Testing.Components;

/// <summary>One Dapr component as read from components/*.yaml, metadata already resolved to plain strings.</summary>
public sealed record ComponentSpec(
    string Name,
    string Type,
    string Version,
    IReadOnlyDictionary<string, string> Metadata,
    IReadOnlyList<string> Scopes,
    string SourceFile)
{
    /// <summary>Dapr loads a component for an app when the component has no scopes or lists the app id.</summary>
    public bool IsVisibleTo(string appId) => Scopes.Count == 0 || Scopes.Contains(appId);

    public string? Get(string key) => Metadata.TryGetValue(key, out var value) ? value : null;

    public string Require(string key) =>
        Get(key) ?? throw new InvalidOperationException($"Component '{Name}' ({Type}) needs metadata '{key}'.");

    public bool GetBool(string key, bool fallback) =>
        Get(key) is { } v && bool.TryParse(v, out var b) ? b : fallback;
}

/// <summary>A retry policy of resiliency.yaml (constant or exponential).</summary>
public sealed record RetryPolicy(string Policy, TimeSpan Duration, TimeSpan InitialInterval, TimeSpan MaxInterval, int MaxRetries)
{
    public static RetryPolicy Constant(TimeSpan duration, int maxRetries) =>
        new("constant", duration, duration, duration, maxRetries);

    /// <summary>Delay before retry number <paramref name="attempt"/> (1-based), without daprd's jitter.</summary>
    public TimeSpan DelayBefore(int attempt)
    {
        if (Policy == "constant")
        {
            return Duration;
        }
        // Dapr's exponential backoff multiplies by 1.5 per attempt (randomisation left out for repeatable tests).
        var delay = InitialInterval.TotalMilliseconds * Math.Pow(1.5, attempt - 1);
        return TimeSpan.FromMilliseconds(Math.Min(delay, MaxInterval.TotalMilliseconds));
    }
}

/// <summary>A declarative subscription (kind: Subscription) from the resources folder.</summary>
public sealed record DeclarativeSubscription(
    string PubSubName,
    string Topic,
    string? Route,
    IReadOnlyList<(string Match, string Path)> Rules,
    string? DeadLetterTopic,
    IReadOnlyList<string> Scopes);
