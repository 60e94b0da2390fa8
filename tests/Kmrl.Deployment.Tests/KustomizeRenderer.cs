using YamlDotNet.RepresentationModel;

namespace Kmrl.Deployment.Tests;

/// <summary>
/// The subset of kustomize this repository uses, because kustomize itself is not on the test machines:
/// resources (files and bases), namespace, images (newTag/newName), and strategic-merge patches addressed by
/// name or by a target (kind, name as an anchored regular expression, labelSelector). Lists of maps merge by "name", as Kubernetes' merge keys do for
/// containers, env, volumes and ports; other lists are replaced.
/// </summary>
public static class KustomizeRenderer
{
    public sealed record Resource(string Origin, YamlMappingNode Node)
    {
        public string Kind => Node.Text("kind") ?? string.Empty;
        public string Name => Node.Child("metadata").Text("name") ?? string.Empty;
    }

    public static IReadOnlyList<Resource> Render(string directory)
    {
        var kustomization = YamlDocuments.Load(Path.Combine(directory, "kustomization.yaml")).Single();
        var resources = new List<Resource>();
        foreach (var entry in kustomization.Child("resources").Strings())
        {
            var path = Path.GetFullPath(Path.Combine(directory, entry));
            if (Directory.Exists(path))
            {
                resources.AddRange(Render(path));
            }
            else if (File.Exists(path))
            {
                resources.AddRange(YamlDocuments.Load(path).Select(node => new Resource(Path.GetFileName(path), node)));
            }
            else
            {
                throw new FileNotFoundException($"{directory}/kustomization.yaml lists '{entry}', which does not exist.", path);
            }
        }

        foreach (var patch in kustomization.Child("patches").Items())
        {
            var patchFile = Path.Combine(directory, patch.Text("path") ?? throw new InvalidOperationException("Only file patches are supported."));
            var patchNode = YamlDocuments.Load(patchFile).Single();
            var targets = SelectTargets(resources, patch.Child("target"), patchNode);
            if (targets.Count == 0)
            {
                throw new InvalidOperationException($"Patch {patchFile} matches no resource.");
            }
            foreach (var target in targets)
            {
                Merge(target.Node, patchNode, keepName: patch.Child("target") is not null);
            }
        }

        var ns = kustomization.Text("namespace");
        if (ns is not null)
        {
            foreach (var resource in resources.Where(r => r.Kind != "Namespace"))
            {
                var metadata = (YamlMappingNode)resource.Node.Child("metadata")!;
                metadata.Children[new YamlScalarNode("namespace")] = new YamlScalarNode(ns);
            }
        }

        foreach (var image in kustomization.Child("images").Items())
        {
            ApplyImage(resources, image.Text("name")!, image.Text("newName"), image.Text("newTag"));
        }
        return resources;
    }

    public static IEnumerable<YamlMappingNode> Containers(Resource deployment) =>
        deployment.Node.Child("spec").Child("template").Child("spec").Child("containers").Items().OfType<YamlMappingNode>();

    private static List<Resource> SelectTargets(List<Resource> resources, YamlNode? target, YamlMappingNode patch)
    {
        if (target is null)
        {
            var kind = patch.Text("kind");
            var name = patch.Child("metadata").Text("name");
            return resources.Where(r => r.Kind == kind && r.Name == name).ToList();
        }
        var targetKind = target.Text("kind");
        var selector = target.Text("labelSelector");
        // kustomize reads a target's name as a regular expression, anchored at both ends (its docs, api-reference/kustomization/patches).
        var targetName = target.Text("name") is { } pattern ? new System.Text.RegularExpressions.Regex("^(?:" + pattern + ")$") : null;
        return resources.Where(r => (targetKind is null || r.Kind == targetKind) && (targetName is null || targetName.IsMatch(r.Name))
                                    && MatchesLabels(r, selector)).ToList();
    }

    private static bool MatchesLabels(Resource resource, string? selector)
    {
        if (string.IsNullOrEmpty(selector))
        {
            return true;
        }
        var labels = resource.Node.Child("metadata").Child("labels");
        return selector.Split(',').All(term =>
        {
            var parts = term.Split('=', 2);
            return labels.Text(parts[0].Trim()) == parts[1].Trim();
        });
    }

    private static void Merge(YamlMappingNode target, YamlMappingNode patch, bool keepName)
    {
        foreach (var (key, value) in patch.Children)
        {
            var name = ((YamlScalarNode)key).Value;
            if (keepName && name == "metadata" && value is YamlMappingNode metadata)
            {
                // A targeted patch's own name is a placeholder: merge everything but the name.
                var withoutName = new YamlMappingNode(metadata.Children.Where(c => ((YamlScalarNode)c.Key).Value != "name"));
                MergeChild(target, key, withoutName);
                continue;
            }
            if (name is "apiVersion" or "kind")
            {
                continue;
            }
            MergeChild(target, key, value);
        }
    }

    private static void MergeChild(YamlMappingNode target, YamlNode key, YamlNode value)
    {
        if (!target.Children.TryGetValue(key, out var existing))
        {
            target.Children[key] = value;
        }
        else if (existing is YamlMappingNode existingMap && value is YamlMappingNode valueMap)
        {
            Merge(existingMap, valueMap, keepName: false);
        }
        else if (existing is YamlSequenceNode existingList && value is YamlSequenceNode valueList
                 && valueList.Children.All(item => item is YamlMappingNode map && map.Text("name") is not null))
        {
            foreach (var item in valueList.Children.Cast<YamlMappingNode>())
            {
                var match = existingList.Children.OfType<YamlMappingNode>().FirstOrDefault(e => e.Text("name") == item.Text("name"));
                if (match is null)
                {
                    existingList.Children.Add(item);
                }
                else
                {
                    Merge(match, item, keepName: false);
                }
            }
        }
        else
        {
            target.Children[key] = value;
        }
    }

    private static void ApplyImage(List<Resource> resources, string name, string? newName, string? newTag)
    {
        foreach (var container in resources.Where(r => r.Kind == "Deployment").SelectMany(Containers))
        {
            var image = container.Text("image") ?? string.Empty;
            var (repository, _) = SplitImage(image);
            if (repository != name)
            {
                continue;
            }
            var tag = newTag ?? SplitImage(image).Tag;
            container.Children[new YamlScalarNode("image")] = new YamlScalarNode((newName ?? repository) + (tag is null ? string.Empty : ":" + tag));
        }
    }

    public static (string Repository, string? Tag) SplitImage(string image)
    {
        var slash = image.LastIndexOf('/');
        var colon = image.LastIndexOf(':');
        return colon > slash ? (image[..colon], image[(colon + 1)..]) : (image, null);
    }
}
