using System.Text.RegularExpressions;
using Kmrl.Contracts;
using YamlDotNet.RepresentationModel;

namespace Kmrl.Deployment.Tests;

/// <summary>
/// The cross-references between code, components/, dapr.yaml and k8s/ that must hold for `dapr run -f .` and the
/// cluster to work. Each rule returns readable violations, so a broken copy of the repository can be checked too.
/// </summary>
public static partial class DaprResourceRules
{
    public sealed record Component(string File, string Name, string Type, YamlMappingNode Node)
    {
        public IReadOnlyList<string> Scopes => Node.Child("scopes").Strings().ToList();
    }

    public static IReadOnlyList<string> Check(string root)
    {
        var violations = new List<string>();
        var components = LoadComponents(Path.Combine(root, "components"), violations);
        var appIds = CheckRunTemplate(root, violations);
        CheckNamesUsedInCode(components, violations);
        CheckScopes(components, appIds, violations);
        CheckSecrets(components, violations);
        CheckActorStateStore("components/", components, production: false, violations);
        foreach (var resiliency in LoadDocuments(Path.Combine(root, "components"), "Resiliency"))
        {
            ResiliencyRules.Check("components/", resiliency, components, violations);
        }
        violations.AddRange(RunTemplateRules.Check(root));
        CheckKubernetesYamlParses(root, violations);
        if (Directory.Exists(Path.Combine(root, "k8s", "overlays")))
        {
            violations.AddRange(KubernetesRules.Check(root, appIds));
        }
        return violations;
    }

    public static IReadOnlyList<Component> LoadComponents(string directory, List<string> violations)
    {
        var components = new List<Component>();
        foreach (var file in Directory.EnumerateFiles(directory, "*.yaml").Order())
        {
            foreach (var document in YamlDocuments.Load(file))
            {
                var kind = document.Text("kind");
                var name = document.Child("metadata").Text("name");
                if (string.IsNullOrEmpty(name))
                {
                    violations.Add($"{Path.GetFileName(file)}: a {kind ?? "resource"} without metadata.name");
                    continue;
                }
                if (kind == "Component")
                {
                    components.Add(new Component(Path.GetFileName(file), name, document.Child("spec").Text("type") ?? string.Empty, document));
                }
                else if (document.Child("scopes") is null)
                {
                    violations.Add($"{Path.GetFileName(file)}: {kind} '{name}' has no scopes");
                }
            }
        }
        foreach (var duplicate in components.GroupBy(c => c.Name).Where(g => g.Count() > 1))
        {
            violations.Add($"component '{duplicate.Key}' is defined more than once ({string.Join(", ", duplicate.Select(c => c.File))})");
        }
        return components;
    }

    public static IEnumerable<YamlMappingNode> LoadDocuments(string directory, string kind) =>
        Directory.EnumerateFiles(directory, "*.yaml").Order()
            .SelectMany(YamlDocuments.Load)
            .Where(document => document.Text("kind") == kind);

    /// <summary>
    /// Workflows keep their state in the one component marked actorStateStore; a sidecar that sees a second one
    /// fails to start ("detected duplicate actor state store", dapr/dapr pkg/runtime/compstore/statestore.go
    /// AddStateStoreActor). One per environment keeps that true whatever the scopes. Production's must roll a transaction back: state.redis runs one
    /// script per key with no rollback and warns against itself as a production actor store (components-contrib
    /// state/redis/redis.go Multi).
    /// </summary>
    internal static void CheckActorStateStore(string label, IReadOnlyList<Component> components, bool production, List<string> violations)
    {
        var actorStores = components.Where(IsActorStateStore).ToList();
        if (actorStores.Count != 1)
        {
            violations.Add($"{label}: {actorStores.Count} components are marked actorStateStore ({string.Join(", ", actorStores.Select(c => c.Name))}); exactly one is needed for workflows");
            return;
        }
        var store = actorStores[0];
        if (!store.Scopes.Contains(DaprNames.AppIds.DocumentApi))
        {
            violations.Add($"{label}: the actor state store '{store.Name}' is not scoped to document-api, which runs the workflows");
        }
        if (production && !TransactionalStateStores.Contains(store.Type))
        {
            violations.Add($"{label}: the actor state store '{store.Name}' is {store.Type}, which does not roll a transaction back; use a transactional store such as state.postgresql v2");
        }
    }

    /// <summary>State stores whose transactions are atomic with rollback and that may hold actor state.</summary>
    public static readonly IReadOnlySet<string> TransactionalStateStores = new HashSet<string>
    {
        "state.postgresql", "state.azure.cosmosdb", "state.mongodb", "state.mysql", "state.sqlserver", "state.sqlite",
        "state.cockroachdb", "state.oracledatabase",
    };

    internal static bool IsActorStateStore(Component component) =>
        component.Node.Child("spec").Child("metadata").Items()
            .Any(item => item.Text("name") == "actorStateStore" && string.Equals(item.Text("value"), "true", StringComparison.OrdinalIgnoreCase));

    /// <summary>dapr.yaml: every app id is one the code knows and points at a project; returns the app ids.</summary>
    internal static HashSet<string> CheckRunTemplate(string root, List<string> violations)
    {
        var template = YamlDocuments.Load(Path.Combine(root, "dapr.yaml")).Single();
        foreach (var path in template.Child("common").Child("resourcesPaths").Strings())
        {
            if (!Directory.Exists(Path.Combine(root, path)))
            {
                violations.Add($"dapr.yaml: resources path '{path}' does not exist");
            }
        }

        var appIds = new HashSet<string>();
        var ports = new HashSet<string>();
        foreach (var app in template.Child("apps").Items())
        {
            var appId = app.Text("appID") ?? string.Empty;
            appIds.Add(appId);
            var directory = Path.Combine(root, app.Text("appDirPath") ?? string.Empty);
            if (!Directory.Exists(directory) || !Directory.EnumerateFiles(directory, "*.csproj").Any())
            {
                violations.Add($"dapr.yaml: app '{appId}' points at '{app.Text("appDirPath")}', which holds no project");
            }
            if (!DaprNames.AppIds.All.Contains(appId))
            {
                violations.Add($"dapr.yaml: app id '{appId}' is not one of DaprNames.AppIds");
            }
            if (!ports.Add(app.Text("appPort") ?? string.Empty))
            {
                violations.Add($"dapr.yaml: app '{appId}' reuses app port {app.Text("appPort")}");
            }
        }
        foreach (var missing in DaprNames.AppIds.All.Except(appIds))
        {
            violations.Add($"dapr.yaml: app id '{missing}' from DaprNames.AppIds is not started");
        }
        return appIds;
    }

    internal static void CheckNamesUsedInCode(IReadOnlyList<Component> components, List<string> violations)
    {
        var names = components.Select(c => c.Name).ToHashSet();
        foreach (var name in DaprNames.Components.All.Concat(DaprNames.Bindings.All).Where(name => !names.Contains(name)))
        {
            violations.Add($"component '{name}' is used in code (DaprNames) but not defined in components/");
        }
        foreach (var binding in DaprNames.Bindings.All)
        {
            var component = components.FirstOrDefault(c => c.Name == binding);
            if (component is not null && component.Scopes.Count != 1)
            {
                violations.Add($"{component.File}: cron binding '{binding}' must be scoped to exactly one connector");
            }
        }
    }

    internal static void CheckScopes(IReadOnlyList<Component> components, IReadOnlySet<string> appIds, List<string> violations)
    {
        foreach (var component in components)
        {
            if (component.Scopes.Count == 0)
            {
                violations.Add($"{component.File}: component '{component.Name}' has no scopes");
            }
            foreach (var scope in component.Scopes.Where(scope => !appIds.Contains(scope)))
            {
                violations.Add($"{component.File}: scope '{scope}' of '{component.Name}' is not an app id in dapr.yaml");
            }
        }
    }

    /// <summary>Credentials come through secretKeyRef from a secret store that exists; never as a value.</summary>
    internal static void CheckSecrets(IReadOnlyList<Component> components, List<string> violations)
    {
        var secretStores = components.Where(c => c.Type.StartsWith("secretstores.", StringComparison.Ordinal)).Select(c => c.Name).ToHashSet();
        foreach (var component in components)
        {
            var usesSecretRefs = false;
            foreach (var item in component.Node.Child("spec").Child("metadata").Items())
            {
                var name = item.Text("name") ?? string.Empty;
                if (item.Child("secretKeyRef") is not null)
                {
                    usesSecretRefs = true;
                    continue;
                }
                if (SecretLikeName().IsMatch(name) && !string.IsNullOrEmpty(item.Text("value")))
                {
                    violations.Add($"{component.File}: '{name}' of '{component.Name}' holds a plaintext value; use secretKeyRef");
                }
            }
            var store = component.Node.Child("auth").Text("secretStore");
            if (usesSecretRefs && (store is null || !secretStores.Contains(store)))
            {
                violations.Add($"{component.File}: '{component.Name}' uses secretKeyRef but auth.secretStore '{store}' is not a secret store component");
            }
        }
    }

    private static void CheckKubernetesYamlParses(string root, List<string> violations)
    {
        var k8s = Path.Combine(root, "k8s");
        if (!Directory.Exists(k8s))
        {
            return;
        }
        foreach (var file in Directory.EnumerateFiles(k8s, "*.yaml", SearchOption.AllDirectories))
        {
            try
            {
                YamlDocuments.Load(file);
            }
            catch (YamlDotNet.Core.YamlException exception)
            {
                violations.Add($"{Path.GetRelativePath(root, file)}: not valid YAML ({exception.Message})");
            }
        }
    }

    internal static bool IsSecretLike(string name) => SecretLikeName().IsMatch(name);

    [GeneratedRegex("(password|secret|token|apikey|accesskey|accountkey|secretkey|connectionstring|privatekey)$", RegexOptions.IgnoreCase)]
    private static partial Regex SecretLikeName();
}
