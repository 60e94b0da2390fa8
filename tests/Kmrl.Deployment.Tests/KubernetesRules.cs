using Kmrl.Contracts;
using YamlDotNet.RepresentationModel;
using HostDefaults = Microsoft.Extensions.Hosting.Extensions;

namespace Kmrl.Deployment.Tests;

/// <summary>What an operator relies on when applying an overlay as it is.</summary>
public static class KubernetesRules
{
    public static readonly string[] Overlays = ["local", "production"];

    public static IReadOnlyList<string> Check(string root, IReadOnlySet<string> appIds)
    {
        var violations = new List<string>();
        var componentNamesByOverlay = new Dictionary<string, HashSet<string>>();
        foreach (var overlay in Overlays)
        {
            IReadOnlyList<KustomizeRenderer.Resource> resources;
            try
            {
                resources = KustomizeRenderer.Render(Path.Combine(root, "k8s", "overlays", overlay));
            }
            catch (Exception exception) when (exception is IOException or InvalidOperationException or YamlDotNet.Core.YamlException)
            {
                violations.Add($"k8s/overlays/{overlay}: does not render ({exception.Message})");
                continue;
            }
            var label = $"k8s/overlays/{overlay}";
            CheckDeployments(label, resources, appIds, violations);
            var components = resources.Where(r => r.Kind == "Component")
                .Select(r => new DaprResourceRules.Component($"{label} ({r.Origin})", r.Name, r.Node.Child("spec").Text("type") ?? string.Empty, r.Node))
                .ToList();
            DaprResourceRules.CheckScopes(components, appIds, violations);
            DaprResourceRules.CheckSecrets(components, violations);
            DaprResourceRules.CheckNamesUsedInCode(components, violations);
            DaprResourceRules.CheckActorStateStore(label, components, production: overlay == "production", violations);
            foreach (var resiliency in resources.Where(r => r.Kind == "Resiliency"))
            {
                ResiliencyRules.Check(label, resiliency.Node, components, violations);
            }
            foreach (var configuration in resources.Where(r => r.Kind == "Configuration"))
            {
                violations.AddRange(CrdSchema.Configuration.Validate(configuration.Node).Select(v => $"{label}: Configuration '{configuration.Name}': {v}"));
            }
            PodRules.Check(root, label, resources, components, violations);
            ComponentRules.Check(label, components, violations);
            // The actor store may differ (PostgreSQL in production); the components the code names may not.
            componentNamesByOverlay[overlay] = components.Where(c => !DaprResourceRules.IsActorStateStore(c) || c.Name == DaprNames.Components.StateStore)
                .Select(c => c.Name).ToHashSet();
        }

        if (componentNamesByOverlay.Count == Overlays.Length)
        {
            var local = componentNamesByOverlay["local"];
            var production = componentNamesByOverlay["production"];
            foreach (var name in local.Except(production))
            {
                violations.Add($"component '{name}' is in the local overlay but not in production");
            }
            foreach (var name in production.Except(local))
            {
                violations.Add($"component '{name}' is in the production overlay but not in local");
            }
        }
        return violations;
    }

    private static void CheckDeployments(string label, IReadOnlyList<KustomizeRenderer.Resource> resources, IReadOnlySet<string> appIds, List<string> violations)
    {
        var configurations = resources.Where(r => r.Kind == "Configuration").Select(r => r.Name).ToHashSet();
        var budgets = resources.Where(r => r.Kind == "PodDisruptionBudget")
            .Select(r => r.Node.Child("spec").Child("selector").Child("matchLabels").Text("app.kubernetes.io/name")).ToHashSet();
        var autoscaled = resources.Where(r => r.Kind == "HorizontalPodAutoscaler")
            .Select(r => r.Node.Child("spec").Child("scaleTargetRef").Text("name")).ToHashSet();
        var daprApps = new HashSet<string>();

        foreach (var deployment in resources.Where(r => r.Kind == "Deployment"))
        {
            var where = $"{label}: Deployment '{deployment.Name}'";
            var pod = deployment.Node.Child("spec").Child("template");
            var annotations = pod.Child("metadata").Child("annotations");
            var containers = KustomizeRenderer.Containers(deployment).ToList();

            foreach (var container in containers)
            {
                var (_, tag) = KustomizeRenderer.SplitImage(container.Text("image") ?? string.Empty);
                if (tag is null or "latest")
                {
                    violations.Add($"{where}: image '{container.Text("image")}' is not pinned to a tag");
                }
                foreach (var env in container.Child("env").Items())
                {
                    if (DaprResourceRules.IsSecretLike(env.Text("name") ?? string.Empty) && env.Text("value") is not null)
                    {
                        violations.Add($"{where}: env '{env.Text("name")}' holds a plaintext value; use a secret");
                    }
                }
            }

            if (annotations.Text("dapr.io/enabled") != "true")
            {
                continue; // Infrastructure such as the local Redis.
            }

            var appId = annotations.Text("dapr.io/app-id") ?? string.Empty;
            daprApps.Add(appId);
            if (!appIds.Contains(appId))
            {
                violations.Add($"{where}: dapr.io/app-id '{appId}' is not an app id in dapr.yaml");
            }
            if (annotations.Text("dapr.io/config") is not { } config || !configurations.Contains(config))
            {
                violations.Add($"{where}: dapr.io/config '{annotations.Text("dapr.io/config")}' is not a Configuration in the overlay");
            }
            if (string.IsNullOrEmpty(annotations.Text("dapr.io/app-token-secret")))
            {
                violations.Add($"{where}: no dapr.io/app-token-secret (sidecar-to-app calls would be unauthenticated)");
            }

            var app = containers.FirstOrDefault();
            if (app is null)
            {
                violations.Add($"{where}: no container");
                continue;
            }
            var appPort = annotations.Text("dapr.io/app-port");
            var containerPorts = app.Child("ports").Items().ToDictionary(p => p.Text("name") ?? string.Empty, p => p.Text("containerPort"));
            var listens = app.Child("env").Items().FirstOrDefault(e => e.Text("name") == "ASPNETCORE_HTTP_PORTS").Text("value");
            // ASPNETCORE_HTTP_PORTS is a ';' list: an app may listen on more ports (whatsapp's public webhook port).
            if (appPort is null || !containerPorts.ContainsValue(appPort) || listens?.Split(';').Contains(appPort) != true)
            {
                violations.Add($"{where}: dapr.io/app-port '{appPort}' is not the port the app listens on (ASPNETCORE_HTTP_PORTS '{listens}', containerPorts {string.Join(",", containerPorts.Values)})");
            }

            CheckProbe(where, "readinessProbe", app, HostDefaults.HealthEndpointPath, containerPorts, appPort, violations);
            CheckProbe(where, "livenessProbe", app, HostDefaults.AlivenessEndpointPath, containerPorts, appPort, violations);

            if (app.Child("resources").Child("requests") is null || app.Child("resources").Child("limits") is null)
            {
                violations.Add($"{where}: resource requests and limits are required");
            }
            if (pod.Child("spec").Child("securityContext").Text("runAsNonRoot") != "true")
            {
                violations.Add($"{where}: the pod must set runAsNonRoot: true");
            }
            if (app.Child("securityContext").Text("readOnlyRootFilesystem") != "true")
            {
                violations.Add($"{where}: the app container must use a read-only root filesystem");
            }
            if (!budgets.Contains(deployment.Name))
            {
                violations.Add($"{where}: no PodDisruptionBudget");
            }
        }

        foreach (var missing in appIds.Except(daprApps))
        {
            violations.Add($"{label}: app id '{missing}' has no Deployment with Dapr annotations");
        }
        if (!autoscaled.Contains(DaprNames.AppIds.DocumentApi))
        {
            violations.Add($"{label}: document-api has no HorizontalPodAutoscaler");
        }
    }

    private static void CheckProbe(string where, string probe, YamlMappingNode app, string expectedPath,
        Dictionary<string, string?> containerPorts, string? appPort, List<string> violations)
    {
        var http = app.Child(probe).Child("httpGet");
        var path = http.Text("path");
        var port = http.Text("port");
        var resolved = port is not null && containerPorts.TryGetValue(port, out var named) ? named : port;
        if (path != expectedPath || resolved != appPort)
        {
            violations.Add($"{where}: {probe} must GET {expectedPath} on the app port (has '{path}' on '{port}')");
        }
    }
}
