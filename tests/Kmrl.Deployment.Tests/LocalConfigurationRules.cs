using Kmrl.Contracts;
using YamlDotNet.RepresentationModel;

namespace Kmrl.Deployment.Tests;

/// <summary>
/// The local run's sidecar Configurations against Kubernetes' (issue 18): under <c>dapr run -f .</c> every app has its
/// own Configuration (an app's <c>configFilePath</c>, resolved from its appDirPath, wins over common's: dapr/cli
/// pkg/runfileconfig/run_file_config_parser.go resolveConfigFilePath), whose <c>secretstore</c> scope is the one its
/// Kubernetes Configuration has, and document-api's workflow settings are the cluster's. Standalone daprd has no
/// built-in <c>kubernetes</c> store, so only the <c>secretstore</c> scope is compared.
/// </summary>
public static class LocalConfigurationRules
{
    public static IReadOnlyList<string> Check(string root, string overlay)
    {
        var violations = new List<string>();
        var template = YamlDocuments.Load(Path.Combine(root, "dapr.yaml")).Single();
        var resources = KustomizeRenderer.Render(Path.Combine(root, "k8s", "overlays", overlay));
        var seen = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var appId in DaprNames.AppIds.All)
        {
            var app = template.Child("apps").Items().SingleOrDefault(a => a.Text("appID") == appId);
            if (app is null)
            {
                violations.Add($"dapr.yaml: no app '{appId}'");
                continue;
            }
            if (app.Text("configFilePath") is not { Length: > 0 } own)
            {
                violations.Add($"dapr.yaml: '{appId}' has no configFilePath of its own, so it shares common's Configuration and its secret scope");
                continue;
            }
            var path = Path.GetFullPath(Path.Combine(root, app.Text("appDirPath") ?? ".", own));
            var relative = Path.GetRelativePath(root, path);
            if (seen.TryGetValue(path, out var other))
            {
                violations.Add($"dapr.yaml: '{appId}' and '{other}' share {relative}; a shared scope would have to allow both apps' secrets");
            }
            seen[path] = appId;
            if (!File.Exists(path))
            {
                violations.Add($"dapr.yaml: configFilePath of '{appId}' ({relative}) does not exist");
                continue;
            }
            var local = YamlDocuments.Load(path).Single().Child("spec");

            var deployment = resources.Single(r => r.Kind == "Deployment" && r.Name == appId);
            var configName = deployment.Node.Child("spec").Child("template").Child("metadata").Child("annotations").Text("dapr.io/config");
            var cluster = resources.Single(r => r.Kind == "Configuration" && r.Name == configName).Node.Child("spec");

            var localScope = Scope(local);
            var clusterScope = Scope(cluster);
            if (localScope != clusterScope)
            {
                violations.Add($"{relative}: the secretstore scope of '{appId}' is {localScope}, but its Kubernetes Configuration '{configName}' has {clusterScope}");
            }
            if (Canonical(local.Child("workflow")) != Canonical(cluster.Child("workflow")))
            {
                violations.Add($"{relative}: spec.workflow of '{appId}' is {Canonical(local.Child("workflow"))}, but '{configName}' has {Canonical(cluster.Child("workflow"))}");
            }
        }
        return violations;
    }

    /// <summary>The <c>secretstore</c> scope as daprd decides with it: default access, and the allowed and denied names as sets.</summary>
    private static string Scope(YamlNode? spec)
    {
        var scope = spec.Child("secrets").Child("scopes").Items().SingleOrDefault(s => s.Text("storeName") == DaprNames.Components.SecretStore);
        if (scope is null)
        {
            return "(none: every secret allowed)";
        }
        var access = string.Equals(scope.Text("defaultAccess"), "deny", StringComparison.OrdinalIgnoreCase) ? "deny" : "allow";
        return $"defaultAccess {access}, allowed [{string.Join(", ", scope.Child("allowedSecrets").Strings().Distinct().Order(StringComparer.Ordinal))}], " +
            $"denied [{string.Join(", ", scope.Child("deniedSecrets").Strings().Distinct().Order(StringComparer.Ordinal))}]";
    }

    /// <summary>A node as text with map keys in order, for comparing two trees.</summary>
    private static string Canonical(YamlNode? node) => node switch
    {
        null => "(none)",
        YamlScalarNode scalar => scalar.Value ?? string.Empty,
        YamlSequenceNode sequence => "[" + string.Join(", ", sequence.Children.Select(Canonical)) + "]",
        YamlMappingNode mapping => "{" + string.Join(", ", mapping.Children
            .Select(pair => $"{Canonical(pair.Key)}: {Canonical(pair.Value)}").Order(StringComparer.Ordinal)) + "}",
        _ => node.ToString(),
    };
}
