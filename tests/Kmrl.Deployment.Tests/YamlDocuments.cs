using YamlDotNet.RepresentationModel;

namespace Kmrl.Deployment.Tests;

/// <summary>Small helpers over YamlDotNet's node model: the files are read as data, not bound to classes.</summary>
internal static class YamlDocuments
{
    public static IReadOnlyList<YamlMappingNode> Load(string path)
    {
        var stream = new YamlStream();
        using (var reader = File.OpenText(path))
        {
            stream.Load(reader);
        }
        return stream.Documents
            .Select(document => document.RootNode)
            .OfType<YamlMappingNode>()
            .ToList();
    }

    public static YamlNode? Child(this YamlNode? node, string key) =>
        node is YamlMappingNode mapping && mapping.Children.TryGetValue(new YamlScalarNode(key), out var value) ? value : null;

    public static string? Text(this YamlNode? node, string key) => (node.Child(key) as YamlScalarNode)?.Value;

    public static IEnumerable<YamlNode> Items(this YamlNode? node) =>
        node is YamlSequenceNode sequence ? sequence.Children : [];

    public static IEnumerable<string> Strings(this YamlNode? node) =>
        node.Items().OfType<YamlScalarNode>().Select(scalar => scalar.Value ?? string.Empty);
}
