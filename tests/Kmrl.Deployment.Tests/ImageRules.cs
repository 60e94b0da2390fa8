using System.Text.RegularExpressions;
using Kmrl.Contracts;

namespace Kmrl.Deployment.Tests;

/// <summary>
/// Every app has an image definition: an entry in build-images.sh's image map naming a project under services/, that
/// project's own Dockerfile or the shared services/Dockerfile (built with the project as PROJECT), and its image
/// in k8s/base/kustomization.yaml. The SDK's container publishing (dotnet publish -t:PublishContainer) would need the
/// base images from mcr.microsoft.com, which this machine cannot reach; one shared Dockerfile is the duplication's fix.
/// </summary>
public static partial class ImageRules
{
    public const string SharedDockerfile = "services/Dockerfile";

    public static IReadOnlyList<string> Check(string root)
    {
        var violations = new List<string>();
        var map = ImageMap(root);
        var kustomization = YamlDocuments.Load(Path.Combine(root, "k8s", "base", "kustomization.yaml")).Single();
        var pinned = kustomization.Child("images").Items().Select(i => i.Text("name")).ToHashSet(StringComparer.Ordinal);
        foreach (var app in DaprNames.AppIds.All)
        {
            if (!map.ContainsKey(app))
            {
                violations.Add($"app '{app}' has no entry in build-images.sh's image map");
            }
            if (!pinned.Contains("kmrl/" + app))
            {
                violations.Add($"app '{app}' has no image kmrl/{app} in k8s/base/kustomization.yaml");
            }
        }
        var shared = Path.Combine(root, SharedDockerfile);
        var sharedUsable = File.Exists(shared) && File.ReadAllText(shared) is var text
            && text.Contains("ARG PROJECT", StringComparison.Ordinal) && text.Contains("$PROJECT.csproj", StringComparison.Ordinal);
        foreach (var (app, project) in map)
        {
            if (!DaprNames.AppIds.All.Contains(app))
            {
                violations.Add($"build-images.sh builds '{app}', which is not an app id in DaprNames.AppIds.All");
            }
            if (!File.Exists(Path.Combine(root, "services", project, project + ".csproj")))
            {
                violations.Add($"app '{app}': build-images.sh names project '{project}', and services/{project}/{project}.csproj does not exist");
            }
            else if (!File.Exists(Path.Combine(root, "services", project, "Dockerfile")) && !sharedUsable)
            {
                violations.Add($"app '{app}' has neither services/{project}/Dockerfile nor a shared {SharedDockerfile} that takes the project as ARG PROJECT");
            }
        }
        return violations;
    }

    /// <summary>App id → project folder under services/, as build-images.sh declares them (<c>[app]=Project</c>).</summary>
    public static IReadOnlyDictionary<string, string> ImageMap(string root) =>
        MapEntry().Matches(File.ReadAllText(Path.Combine(root, "build-images.sh")))
            .ToDictionary(m => m.Groups[1].Value, m => m.Groups[2].Value, StringComparer.Ordinal);

    [GeneratedRegex(@"^\s*\[([a-z0-9-]+)\]=([A-Za-z0-9.]+)\s*$", RegexOptions.Multiline | RegexOptions.NonBacktracking)]
    private static partial Regex MapEntry();
}
