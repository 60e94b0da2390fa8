using Kmrl.Contracts;
using YamlDotNet.RepresentationModel;

namespace Kmrl.Deployment.Tests;

/// <summary>
/// The reverse of <see cref="DaprResourceRules.CheckScopes"/>: every connector app id is in the scopes of every
/// component and policy the connector host needs, in components/ and in both overlays. A connector left out of one
/// (a new one missing from lockstore in the production overlay, say) passes every other rule and fails at run time:
/// daprd loads only the components scoped to its app id, so the call finds no component.
/// </summary>
public static class ConnectorScopeRules
{
    /// <summary>What the host uses for every connector: checkpoints, events, the claim check, the sync lock, credentials.</summary>
    public static readonly IReadOnlyList<string> HostComponents =
    [
        DaprNames.Components.StateStore, DaprNames.Components.PubSub, DaprNames.Components.BlobStore,
        DaprNames.Components.LockStore, DaprNames.Components.SecretStore,
    ];

    /// <summary>What the host publishes for a connector (the bulk lane after the first documents of a run).</summary>
    public static readonly IReadOnlyList<string> HostTopics =
    [
        DaprNames.Topics.DocumentDiscovered, DaprNames.Topics.DocumentDiscoveredBulk, DaprNames.Topics.DocumentRemovedAtSource,
        DaprNames.Topics.ConnectorSyncFailed, DaprNames.Topics.ConnectorSyncRecovered, DaprNames.Topics.ConnectorItemDeadLettered,
    ];

    public static IReadOnlyList<string> Check(string root)
    {
        var violations = new List<string>();
        // Load problems (a component without a name) are DaprResourceRules' to report.
        var components = DaprResourceRules.LoadComponents(Path.Combine(root, "components"), []);
        Check("components/", components, DaprResourceRules.LoadDocuments(Path.Combine(root, "components"), "Resiliency").ToList(), violations);
        foreach (var overlay in KubernetesRules.Overlays)
        {
            var label = $"k8s/overlays/{overlay}";
            IReadOnlyList<KustomizeRenderer.Resource> resources;
            try
            {
                resources = KustomizeRenderer.Render(Path.Combine(root, "k8s", "overlays", overlay));
            }
            catch (Exception exception) when (exception is IOException or InvalidOperationException or YamlDotNet.Core.YamlException)
            {
                violations.Add($"{label}: does not render ({exception.Message})");
                continue;
            }
            var rendered = resources.Where(r => r.Kind == "Component")
                .Select(r => new DaprResourceRules.Component($"{label} ({r.Origin})", r.Name, r.Node.Child("spec").Text("type") ?? string.Empty, r.Node))
                .ToList();
            Check(label, rendered, resources.Where(r => r.Kind == "Resiliency").Select(r => r.Node).ToList(), violations);
        }
        return violations;
    }

    internal static void Check(string label, IReadOnlyList<DaprResourceRules.Component> components, IReadOnlyList<YamlMappingNode> resiliencies,
        List<string> violations)
    {
        if (resiliencies.Count == 0)
        {
            violations.Add($"{label}: no Resiliency policy");
        }
        foreach (var connector in DaprNames.AppIds.Connectors)
        {
            // A missing component is CheckNamesUsedInCode's violation; here only who may use it.
            foreach (var component in HostComponents.Select(name => components.FirstOrDefault(c => c.Name == name)).OfType<DaprResourceRules.Component>())
            {
                if (!component.Scopes.Contains(connector))
                {
                    violations.Add($"{label}: {connector} is not in the scopes of component '{component.Name}' ({component.File}), which the connector host uses");
                }
            }
            if (!components.Any(c => c.Type == "bindings.cron" && DaprNames.Bindings.All.Contains(c.Name) && c.Scopes.Contains(connector)))
            {
                violations.Add($"{label}: no schedule binding (a bindings.cron named in DaprNames.Bindings) is scoped to {connector}");
            }
            foreach (var resiliency in resiliencies)
            {
                // Scopes on a Resiliency limit it to those apps; without scopes it applies to every app.
                var scopes = resiliency.Child("scopes").Strings().ToList();
                if (scopes.Count > 0 && !scopes.Contains(connector))
                {
                    violations.Add($"{label}: {connector} is not in the scopes of Resiliency '{resiliency.Child("metadata").Text("name")}', so its publishes are not retried");
                }
            }
            CheckPublishingScopes(label, components.FirstOrDefault(c => c.Name == DaprNames.Components.PubSub), connector, violations);
        }
    }

    /// <summary>
    /// publishingScopes ("app=topic,topic;app=…"): an app it lists may publish only the topics listed for it, an app it
    /// does not list may publish any (dapr/dapr pkg/runtime/pubsub: GetScopedTopics, then IsOperationAllowed allows
    /// every topic when the app's scoped list is empty).
    /// </summary>
    private static void CheckPublishingScopes(string label, DaprResourceRules.Component? pubsub, string connector, List<string> violations)
    {
        var value = pubsub?.Node.Child("spec").Child("metadata").Items().FirstOrDefault(item => item.Text("name") == "publishingScopes").Text("value");
        if (string.IsNullOrWhiteSpace(value))
        {
            return;
        }
        var topics = value.Replace(" ", "", StringComparison.Ordinal).Split(';')
            .Select(entry => entry.Split('='))
            .Where(parts => parts.Length >= 2 && parts[0] == connector)
            .SelectMany(parts => parts[1].Split(','))
            .ToHashSet(StringComparer.Ordinal);
        if (topics.Count == 0)
        {
            return;
        }
        foreach (var missing in HostTopics.Where(topic => !topics.Contains(topic)))
        {
            violations.Add($"{label}: publishingScopes of '{pubsub!.Name}' lets {connector} publish, but not to '{missing}', which the connector host publishes");
        }
    }
}
