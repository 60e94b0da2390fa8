using System.Globalization;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Kmrl.Deployment.Tests;

/// <summary>
/// Validates a document against one of the compact CRD property trees in CrdSchemas/ the way the API server's
/// strict field validation does (kubectl's default, <c>--validate=true</c>): a field the structural schema does
/// not list is an error, a required field must be there, and a scalar must have the schema's type. A YAML plain
/// scalar such as <c>5</c> or <c>true</c> is an integer or a boolean, not a string, as Kubernetes decodes it.
/// Standalone daprd decodes the same files without strictness and silently drops unknown fields, which is why
/// the check runs for components/ too: a field that is ignored locally is rejected by the cluster.
/// </summary>
public sealed class CrdSchema
{
    private readonly YamlMappingNode _root;

    private CrdSchema(string kind, YamlMappingNode root)
    {
        Kind = kind;
        _root = root;
    }

    public string Kind { get; }

    public static CrdSchema Resiliency { get; } = Load("Resiliency", "resiliency.yaml");

    public static CrdSchema Configuration { get; } = Load("Configuration", "configuration.yaml");

    public static CrdSchema? For(string? kind) => kind switch
    {
        "Resiliency" => Resiliency,
        "Configuration" => Configuration,
        _ => null,
    };

    public IReadOnlyList<string> Validate(YamlNode document)
    {
        var violations = new List<string>();
        Check(_root, document, string.Empty, violations);
        return violations;
    }

    private static CrdSchema Load(string kind, string file)
    {
        var path = Path.Combine(RepositoryRoot.Find(), "tests", "Kmrl.Deployment.Tests", "CrdSchemas", file);
        return new CrdSchema(kind, YamlDocuments.Load(path).Single());
    }

    private static void Check(YamlNode schema, YamlNode value, string path, List<string> violations)
    {
        switch (schema)
        {
            case YamlScalarNode { Value: "any" }:
                return;
            case YamlScalarNode scalarType:
                CheckScalar(scalarType.Value!, value, path, violations);
                return;
            case YamlSequenceNode listSchema:
                if (value is not YamlSequenceNode list)
                {
                    violations.Add($"{Where(path)}: must be a list");
                    return;
                }
                var itemSchema = listSchema.Children.Single();
                for (var i = 0; i < list.Children.Count; i++)
                {
                    Check(itemSchema, list.Children[i], $"{path}[{i}]", violations);
                }
                return;
            case YamlMappingNode objectSchema:
                CheckObject(objectSchema, value, path, violations);
                return;
        }
    }

    private static void CheckObject(YamlMappingNode schema, YamlNode value, string path, List<string> violations)
    {
        if (value is not YamlMappingNode mapping)
        {
            violations.Add($"{Where(path)}: must be an object");
            return;
        }
        var fields = schema.Children.ToDictionary(
            entry => ((YamlScalarNode)entry.Key).Value!.TrimEnd('!'),
            entry => (Schema: entry.Value, Required: ((YamlScalarNode)entry.Key).Value!.EndsWith('!')));
        foreach (var (name, field) in fields.Where(f => f.Key != "*" && f.Value.Required))
        {
            if (!mapping.Children.ContainsKey(new YamlScalarNode(name)))
            {
                violations.Add($"{Where(Join(path, name))}: required field missing");
            }
        }
        foreach (var (key, child) in mapping.Children)
        {
            var name = ((YamlScalarNode)key).Value ?? string.Empty;
            var childPath = Join(path, name);
            if (fields.TryGetValue(name, out var known) || fields.TryGetValue("*", out known))
            {
                Check(known.Schema, child, childPath, violations);
            }
            else
            {
                violations.Add($"{Where(childPath)}: unknown field (the CRD schema does not list it; kubectl apply refuses it)");
            }
        }
    }

    private static void CheckScalar(string type, YamlNode value, string path, List<string> violations)
    {
        if (value is not YamlScalarNode scalar)
        {
            violations.Add($"{Where(path)}: must be a {type}");
            return;
        }
        var text = scalar.Value ?? string.Empty;
        var plain = scalar.Style is ScalarStyle.Plain or ScalarStyle.Any;
        var isInteger = plain && long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _);
        var isBoolean = plain && text is "true" or "false" or "True" or "False";
        var isNumber = plain && double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out _);
        var isNull = plain && text is "" or "~" or "null";
        var ok = type switch
        {
            "string" => !isNumber && !isBoolean && !isNull,
            "integer" => isInteger,
            "boolean" => isBoolean,
            _ => throw new InvalidOperationException($"Unknown schema type '{type}' at {path}"),
        };
        if (!ok)
        {
            violations.Add($"{Where(path)}: '{text}' is not a {type}{(type == "string" && plain ? " (quote it)" : string.Empty)}");
        }
    }

    private static string Join(string path, string name) => path.Length == 0 ? name : path + "." + name;

    private static string Where(string path) => path.Length == 0 ? "(document)" : path;
}
