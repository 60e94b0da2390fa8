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

/// <summary>A declarative subscription (kind: Subscription) from the resources folder.</summary>
public sealed record DeclarativeSubscription(
    string PubSubName,
    string Topic,
    string? Route,
    IReadOnlyList<(string Match, string Path)> Rules,
    string? DeadLetterTopic,
    IReadOnlyList<string> Scopes);
