using System.Text.Json;
using Kmrl.Dapr.Testing.Components;

namespace Kmrl.Dapr.Testing.Runtime;

/// <summary>secretstores.local.file: a JSON file flattened with <c>nestedSeparator</c> (default ":"), read at init like daprd.</summary>
public sealed class LocalFileSecretStore
{
    private readonly Dictionary<string, string> _secrets = new(StringComparer.Ordinal);

    public LocalFileSecretStore(ComponentSpec spec, string baseDirectory)
    {
        Name = spec.Name;
        var file = Path.GetFullPath(spec.Require("secretsFile"), baseDirectory);
        if (!File.Exists(file))
        {
            throw new InvalidOperationException($"Secret store '{spec.Name}': secretsFile '{file}' does not exist.");
        }
        if (spec.GetBool("multiValued", false))
        {
            throw new NotSupportedException($"Secret store '{spec.Name}': multiValued=true is not implemented by the test sidecar.");
        }
        var separator = spec.Get("nestedSeparator") is { Length: > 0 } s ? s : ":";
        using var doc = JsonDocument.Parse(File.ReadAllText(file));
        Flatten(doc.RootElement, null, separator);
    }

    public string Name { get; }

    public IReadOnlyDictionary<string, string> All => _secrets;

    public string? Get(string key) => _secrets.TryGetValue(key, out var v) ? v : null;

    private void Flatten(JsonElement element, string? prefix, string separator)
    {
        if (element.ValueKind == JsonValueKind.Object)
        {
            foreach (var p in element.EnumerateObject())
            {
                Flatten(p.Value, prefix is null ? p.Name : prefix + separator + p.Name, separator);
            }
        }
        else if (element.ValueKind == JsonValueKind.Array)
        {
            var i = 0;
            foreach (var item in element.EnumerateArray())
            {
                Flatten(item, prefix + separator + i++.ToString(System.Globalization.CultureInfo.InvariantCulture), separator);
            }
        }
        else if (prefix is not null)
        {
            _secrets[prefix] = element.ValueKind == JsonValueKind.String ? element.GetString()! : element.GetRawText();
        }
    }
}
