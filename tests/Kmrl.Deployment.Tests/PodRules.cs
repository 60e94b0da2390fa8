using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Kmrl.Contracts;
using YamlDotNet.RepresentationModel;

namespace Kmrl.Deployment.Tests;

/// <summary>
/// What a Dapr-enabled pod needs once the sidecar injector has patched it. The injector adds daprd and, to every
/// app container, only DAPR_HTTP_PORT, DAPR_GRPC_PORT and APP_PROTOCOL (dapr/dapr pkg/injector/patcher
/// sidecar_patcher.go addDaprEnvVarsToContainers); DAPR_API_TOKEN and APP_API_TOKEN from dapr.io/api-token-secret
/// and dapr.io/app-token-secret go into the daprd container alone (sidecar_container.go). The Kubernetes secret
/// stores, built-in and declared, run in daprd with rest.InClusterConfig(), which needs the pod's mounted
/// service-account token and RBAC for the secrets (components-contrib common/authentication/kubernetes).
/// </summary>
public static partial class PodRules
{
    public static readonly string[] InjectedAppEnvironment = ["DAPR_HTTP_PORT", "DAPR_GRPC_PORT", "APP_PROTOCOL"];

    public static void Check(string root, string label, IReadOnlyList<KustomizeRenderer.Resource> resources,
        IReadOnlyList<DaprResourceRules.Component> components, List<string> violations)
    {
        var declaresKubernetesStore = components.Any(c => c.Type == "secretstores.kubernetes");
        foreach (var role in resources.Where(r => r.Kind is "Role" or "ClusterRole"))
        {
            if (SecretRules(role).Any(rule => rule.Verbs.Overlaps(["list", "watch", "*"])))
            {
                violations.Add($"{label}: {role.Kind} '{role.Name}' may list secrets; the apps read named secrets only");
            }
            if (SecretRules(role).Any(rule => rule.Verbs.Overlaps(["get", "*"]) && rule.Names.Count == 0))
            {
                violations.Add($"{label}: {role.Kind} '{role.Name}' may get every secret in the namespace; name the ones its apps read (resourceNames)");
            }
        }

        foreach (var deployment in resources.Where(r => r.Kind == "Deployment"))
        {
            var pod = deployment.Node.Child("spec").Child("template");
            var annotations = pod.Child("metadata").Child("annotations");
            if (annotations.Text("dapr.io/enabled") != "true")
            {
                continue;
            }
            var where = $"{label}: Deployment '{deployment.Name}'";
            var app = KustomizeRenderer.Containers(deployment).FirstOrDefault();
            if (app is null)
            {
                continue;
            }

            var environment = AppEnvironmentAfterInjection(app, annotations);
            RequireToken(where, environment, "DAPR_API_TOKEN", annotations.Text("dapr.io/api-token-secret"), "dapr.io/api-token-secret", violations);
            RequireToken(where, environment, "APP_API_TOKEN", annotations.Text("dapr.io/app-token-secret"), "dapr.io/app-token-secret", violations);

            var builtInStore = annotations.Text("dapr.io/disable-builtin-k8s-secret-store") != "true";
            if (declaresKubernetesStore || builtInStore)
            {
                CheckServiceAccount(where, pod.Child("spec"), resources, builtInStore, violations);
                CheckSecretNames(where, deployment, resources, components, violations);
            }
            CheckSidecarMemory(where, annotations, violations);
            CheckShutdown(root, where, deployment.Name, pod, annotations, violations);
        }
    }

    /// <summary>The app container's environment as the pod runs it: its own variables plus what the injector adds.</summary>
    public static IReadOnlyDictionary<string, YamlNode?> AppEnvironmentAfterInjection(YamlMappingNode app, YamlNode? annotations)
    {
        var environment = app.Child("env").Items().ToDictionary(e => e.Text("name") ?? string.Empty, e => (YamlNode?)e);
        foreach (var name in InjectedAppEnvironment.Where(n => n != "APP_PROTOCOL" || annotations.Text("dapr.io/app-protocol") is not null))
        {
            environment.TryAdd(name, null);
        }
        return environment;
    }

    private static void RequireToken(string where, IReadOnlyDictionary<string, YamlNode?> environment, string variable,
        string? secret, string annotation, List<string> violations)
    {
        if (secret is null)
        {
            return;
        }
        if (!environment.TryGetValue(variable, out var env) || env is null)
        {
            violations.Add($"{where}: {annotation} is set but the app container has no {variable} (the injector gives it to daprd only)");
            return;
        }
        var reference = env.Child("valueFrom").Child("secretKeyRef");
        if (reference.Text("name") != secret || reference.Text("key") != "token")
        {
            violations.Add($"{where}: {variable} must come from secret '{secret}' key 'token', as daprd's does");
        }
    }

    private static void CheckServiceAccount(string where, YamlNode? podSpec, IReadOnlyList<KustomizeRenderer.Resource> resources,
        bool builtInStore, List<string> violations)
    {
        var why = builtInStore ? "the built-in kubernetes secret store (not disabled)" : "the secretstores.kubernetes component";
        var accountName = podSpec.Text("serviceAccountName") ?? "default";
        var account = resources.FirstOrDefault(r => r.Kind == "ServiceAccount" && r.Name == accountName);
        var mounted = podSpec.Text("automountServiceAccountToken") ?? account?.Node.Text("automountServiceAccountToken") ?? "true";
        if (mounted != "true")
        {
            violations.Add($"{where}: no service-account token is mounted, but {why} needs one; daprd would exit at start-up");
        }
        var granted = resources.Where(r => r.Kind == "RoleBinding")
            .Where(binding => binding.Node.Child("subjects").Items().Any(subject =>
                subject.Text("kind") == "ServiceAccount" && subject.Text("name") == accountName
                && (subject.Text("namespace") ?? binding.Node.Child("metadata").Text("namespace")) == binding.Node.Child("metadata").Text("namespace")))
            .Select(binding => binding.Node.Child("roleRef"))
            .Select(reference => resources.FirstOrDefault(r => r.Kind == reference.Text("kind") && r.Name == reference.Text("name")))
            .Any(role => role is not null && SecretRules(role).Any(rule => rule.Verbs.Overlaps(["get", "*"])));
        if (!granted)
        {
            violations.Add($"{where}: ServiceAccount '{accountName}' has no RoleBinding granting get on secrets, which {why} needs");
        }
    }

    private static IEnumerable<(HashSet<string> Verbs, HashSet<string> Resources, HashSet<string> Names)> SecretRules(KustomizeRenderer.Resource role) =>
        role.Node.Child("rules").Items()
            .Select(rule => (Verbs: rule.Child("verbs").Strings().ToHashSet(), Resources: rule.Child("resources").Strings().ToHashSet(),
                Groups: rule.Child("apiGroups").Strings().ToHashSet(), Names: rule.Child("resourceNames").Strings().ToHashSet(StringComparer.Ordinal)))
            .Where(rule => rule.Groups.Overlaps(["", "*"]) && rule.Resources.Overlaps(["secrets", "*"]))
            .Select(rule => (rule.Verbs, rule.Resources, rule.Names));

    /// <summary>
    /// The secrets a Dapr pod's ServiceAccount must be able to get, each with who reads it: the allowedSecrets of its
    /// Configuration for every secretstores.kubernetes component (the app's GetSecret calls), and the secretKeyRefs of
    /// every component scoped to the app whose auth.secretStore is such a component, which daprd resolves through
    /// that store with the pod's token (dapr pkg/runtime/processor/secret ProcessResource; only the built-in
    /// "kubernetes" store is resolved by the operator instead).
    /// </summary>
    public static IReadOnlyDictionary<string, string> SecretsReadBy(KustomizeRenderer.Resource deployment,
        IReadOnlyList<KustomizeRenderer.Resource> resources, IReadOnlyList<DaprResourceRules.Component> components)
    {
        var annotations = deployment.Node.Child("spec").Child("template").Child("metadata").Child("annotations");
        var appId = annotations.Text("dapr.io/app-id") ?? deployment.Name;
        var stores = components.Where(c => c.Type == "secretstores.kubernetes" && (c.Scopes.Count == 0 || c.Scopes.Contains(appId)))
            .Select(c => c.Name).ToHashSet(StringComparer.Ordinal);
        var read = new Dictionary<string, string>(StringComparer.Ordinal);
        var configuration = resources.FirstOrDefault(r => r.Kind == "Configuration" && r.Name == annotations.Text("dapr.io/config"));
        foreach (var scope in configuration?.Node.Child("spec").Child("secrets").Child("scopes").Items() ?? [])
        {
            if (stores.Contains(scope.Text("storeName") ?? string.Empty))
            {
                foreach (var name in scope.Child("allowedSecrets").Strings())
                {
                    read.TryAdd(name, $"Configuration '{configuration!.Name}' (allowedSecrets)");
                }
            }
        }
        foreach (var component in components.Where(c => (c.Scopes.Count == 0 || c.Scopes.Contains(appId))
            && stores.Contains(c.Node.Child("auth").Text("secretStore") ?? string.Empty)))
        {
            foreach (var reference in component.Node.Child("spec").Child("metadata").Items().Select(item => item.Child("secretKeyRef")).Where(r => r is not null))
            {
                read.TryAdd(reference.Text("name") ?? string.Empty, $"component '{component.Name}'");
            }
        }
        return read;
    }

    /// <summary>The secret names a ServiceAccount may get through its RoleBindings; null when a rule names none (every secret).</summary>
    public static IReadOnlySet<string>? SecretsGrantedTo(string accountName, IReadOnlyList<KustomizeRenderer.Resource> resources)
    {
        var granted = new HashSet<string>(StringComparer.Ordinal);
        var rules = resources.Where(r => r.Kind == "RoleBinding")
            .Where(binding => binding.Node.Child("subjects").Items().Any(subject => subject.Text("kind") == "ServiceAccount" && subject.Text("name") == accountName))
            .Select(binding => binding.Node.Child("roleRef"))
            .Select(reference => resources.FirstOrDefault(r => r.Kind == reference.Text("kind") && r.Name == reference.Text("name")))
            .Where(role => role is not null)
            .SelectMany(role => SecretRules(role!))
            .Where(rule => rule.Verbs.Overlaps(["get", "*"]));
        foreach (var rule in rules)
        {
            if (rule.Names.Count == 0)
            {
                return null;
            }
            granted.UnionWith(rule.Names);
        }
        return granted;
    }

    /// <summary>Every secret the sidecar reads is granted by name; one that is not makes daprd fail that component or call.</summary>
    private static void CheckSecretNames(string where, KustomizeRenderer.Resource deployment, IReadOnlyList<KustomizeRenderer.Resource> resources,
        IReadOnlyList<DaprResourceRules.Component> components, List<string> violations)
    {
        var accountName = deployment.Node.Child("spec").Child("template").Child("spec").Text("serviceAccountName") ?? "default";
        if (SecretsGrantedTo(accountName, resources) is not { } granted)
        {
            return;
        }
        foreach (var (name, reader) in SecretsReadBy(deployment, resources, components).Where(pair => !granted.Contains(pair.Key)).OrderBy(pair => pair.Key, StringComparer.Ordinal))
        {
            violations.Add($"{where}: ServiceAccount '{accountName}' may not get secret '{name}', which {reader} reads");
        }
    }

    /// <summary>A memory limit without a Go soft limit below it leaves the collector to wait for twice the live heap (docs: Kubernetes production guidelines).</summary>
    private static void CheckSidecarMemory(string where, YamlNode? annotations, List<string> violations)
    {
        if (annotations.Text("dapr.io/sidecar-memory-limit") is not { } limit)
        {
            violations.Add($"{where}: no dapr.io/sidecar-memory-limit");
            return;
        }
        var soft = GoMemLimit().Match(annotations.Text("dapr.io/env") ?? string.Empty);
        if (!soft.Success || Bytes(soft.Groups["value"].Value) >= Bytes(limit))
        {
            violations.Add($"{where}: sidecar memory limit {limit} without GOMEMLIMIT below it in dapr.io/env");
        }
    }

    /// <summary>
    /// On SIGTERM daprd first blocks for dapr.io/block-shutdown-duration (or until the app is unhealthy), then
    /// drains for dapr.io/graceful-shutdown-seconds (default 5). Both must fit in the pod's grace period (default
    /// 30 s), and document-api's block must cover one OCR call, or the activity's result is lost and it runs again.
    /// </summary>
    private static void CheckShutdown(string root, string where, string name, YamlNode? pod, YamlNode? annotations, List<string> violations)
    {
        var block = annotations.Text("dapr.io/block-shutdown-duration") is { } text ? ResiliencyRules.Duration(text) : TimeSpan.Zero;
        var graceful = TimeSpan.FromSeconds(int.Parse(annotations.Text("dapr.io/graceful-shutdown-seconds") ?? "5", CultureInfo.InvariantCulture));
        var grace = TimeSpan.FromSeconds(int.Parse(pod.Child("spec").Text("terminationGracePeriodSeconds") ?? "30", CultureInfo.InvariantCulture));
        if (block + graceful > grace)
        {
            violations.Add($"{where}: daprd's shutdown ({block.TotalSeconds:0} s blocked + {graceful.TotalSeconds:0} s graceful) does not fit in terminationGracePeriodSeconds {grace.TotalSeconds:0}");
        }
        if (name == DaprNames.AppIds.DocumentApi && block < OcrTimeout(root))
        {
            violations.Add($"{where}: dapr.io/block-shutdown-duration {block.TotalSeconds:0} s is shorter than one OCR call ({OcrTimeout(root).TotalSeconds:0} s); its activity result would be lost on a rollout");
        }
    }

    private static TimeSpan OcrTimeout(string root)
    {
        using var settings = JsonDocument.Parse(File.ReadAllText(Path.Combine(root, "services", "Kmrl.DocumentApi", "appsettings.json")));
        var seconds = settings.RootElement.GetProperty("DocumentProcessing").GetProperty("Ocr").GetProperty("TimeoutSeconds").GetInt32();
        return TimeSpan.FromSeconds(seconds);
    }

    /// <summary>Kubernetes quantities (Mi, Gi) and Go's GOMEMLIMIT sizes (MiB, GiB) in bytes.</summary>
    public static long Bytes(string quantity)
    {
        var match = Quantity().Match(quantity);
        if (!match.Success)
        {
            throw new FormatException($"Unsupported size '{quantity}'");
        }
        var factor = match.Groups["unit"].Value.TrimEnd('B') switch
        {
            "" => 1L,
            "K" => 1000L,
            "M" => 1000L * 1000,
            "G" => 1000L * 1000 * 1000,
            "Ki" => 1024L,
            "Mi" => 1024L * 1024,
            "Gi" => 1024L * 1024 * 1024,
            var unit => throw new FormatException($"Unsupported unit '{unit}' in '{quantity}'"),
        };
        return long.Parse(match.Groups["number"].Value, CultureInfo.InvariantCulture) * factor;
    }

    [GeneratedRegex(@"GOMEMLIMIT=(?<value>[0-9]+[A-Za-z]*)")]
    private static partial Regex GoMemLimit();

    [GeneratedRegex(@"^(?<number>[0-9]+)(?<unit>[A-Za-z]*)$")]
    private static partial Regex Quantity();
}
