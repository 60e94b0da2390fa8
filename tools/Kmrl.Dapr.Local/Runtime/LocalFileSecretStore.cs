using System.Globalization;
using System.Text.Json;
using Kmrl.Dapr.Testing.Components;

namespace Kmrl.Dapr.Testing.Runtime;

/// <summary>
/// secretstores.local.file as components-contrib v1.16.13 <c>secretstores/local/file/filestore.go</c> runs it. The file
/// is read once at init (<c>readLocalFile</c>: <c>json.Unmarshal</c> into a map, so the root must be an object and a
/// repeated member keeps its last value).
/// <list type="bullet">
/// <item>multiValued false (<c>Init</c>, else branch): the whole file is flattened (<c>visitJSONObject</c>): nested object
/// members and array items are joined with <c>nestedSeparator</c> (default ":"); each flattened name is a secret whose only
/// key is that name.</item>
/// <item>multiValued true (<c>Init</c>, the <c>meta.MultiValued</c> loop): each top-level member is one secret. A string is
/// a secret whose only key is its own name; an object is a secret whose keys are its members, flattened with
/// <c>nestedSeparator</c> below that level; any other top-level value (number, bool, null, array) is dropped.</item>
/// <item>Leaves are formatted with Go's <c>fmt.Sprintf("%s", v)</c> (<c>visitPrimitive</c>): a string as itself, and the
/// bad-verb form for the rest, e.g. <c>%!s(float64=5)</c>, <c>%!s(bool=true)</c>, <c>%!s(&lt;nil&gt;)</c>.</item>
/// <item><c>GetSecret</c> of an unknown name fails with <c>secret &lt;name&gt; not found</c>; <c>BulkGetSecret</c> returns
/// every secret with its keys.</item>
/// </list>
/// Two leaves that flatten to the same name make filestore.go stop flattening half-way (<c>visitPrimitive</c> returns
/// "duplicate key", which <c>Init</c> ignores) with a result that depends on Go's random map order; the double refuses
/// such a file rather than pick one outcome.
/// </summary>
public sealed class LocalFileSecretStore
{
    private readonly Dictionary<string, IReadOnlyDictionary<string, string>> _secrets = new(StringComparer.Ordinal);

    public LocalFileSecretStore(ComponentSpec spec, string baseDirectory)
    {
        Name = spec.Name;
        if (spec.Get("secretsFile") is not { Length: > 0 } secretsFile)
        {
            // getLocalSecretStoreMetadata
            throw new InvalidOperationException($"Secret store '{spec.Name}': missing local secrets file in metadata");
        }
        var file = Path.GetFullPath(secretsFile, baseDirectory);
        if (!File.Exists(file))
        {
            throw new InvalidOperationException($"Secret store '{spec.Name}': open {file}: no such file or directory");
        }
        // metadata.DecodeMetadata turns strings into bools with dapr/kit utils.IsTruthy.
        MultiValued = spec.Get("multiValued")?.Trim().ToLowerInvariant() is "y" or "yes" or "true" or "t" or "on" or "1";
        Separator = spec.Get("nestedSeparator") is { Length: > 0 } s ? s : ":";

        using var document = JsonDocument.Parse(File.ReadAllText(file));
        if (document.RootElement.ValueKind != JsonValueKind.Object)
        {
            throw new InvalidOperationException(
                $"Secret store '{spec.Name}': json: cannot unmarshal {GoJsonType(document.RootElement)} into Go value of type map[string]interface {{}}");
        }

        var root = LastWins(document.RootElement);
        if (MultiValued)
        {
            foreach (var (name, value) in root)
            {
                switch (value.ValueKind)
                {
                    case JsonValueKind.String:
                        _secrets[name] = new Dictionary<string, string>(StringComparer.Ordinal) { [name] = value.GetString()! };
                        break;
                    case JsonValueKind.Object:
                        var keys = new Dictionary<string, string>(StringComparer.Ordinal);
                        Flatten(value, [], keys, file);
                        _secrets[name] = keys;
                        break;
                    // filestore.go's switch has no other case: the member is not a secret at all.
                }
            }
        }
        else
        {
            var flat = new Dictionary<string, string>(StringComparer.Ordinal);
            Flatten(document.RootElement, [], flat, file);
            foreach (var (name, value) in flat)
            {
                _secrets[name] = new Dictionary<string, string>(StringComparer.Ordinal) { [name] = value };
            }
        }
    }

    public string Name { get; }

    public bool MultiValued { get; }

    public string Separator { get; }

    /// <summary>The secret's keys and values (<c>GetSecret</c>), or null where filestore.go answers "secret &lt;name&gt; not found".</summary>
    public IReadOnlyDictionary<string, string>? GetSecret(string name) =>
        _secrets.TryGetValue(name, out var secret) ? secret : null;

    /// <summary>Every secret with its keys (<c>BulkGetSecret</c>).</summary>
    public IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> BulkGetSecret() => _secrets;

    private void Flatten(JsonElement element, List<string> path, Dictionary<string, string> into, string file)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var (name, value) in LastWins(element))
                {
                    path.Add(name);
                    Flatten(value, path, into, file);
                    path.RemoveAt(path.Count - 1);
                }
                break;
            case JsonValueKind.Array:
                var index = 0;
                foreach (var item in element.EnumerateArray())
                {
                    path.Add(index++.ToString(CultureInfo.InvariantCulture));
                    Flatten(item, path, into, file);
                    path.RemoveAt(path.Count - 1);
                }
                break;
            default:
                var key = string.Join(Separator, path);
                if (!into.TryAdd(key, GoSprintS(element)))
                {
                    throw new InvalidOperationException(
                        $"Secret store '{Name}': '{key}' occurs twice in {file} once flattened with '{Separator}'. filestore.go stops at a " +
                        "duplicate key and keeps an order-dependent part of the file; write each secret once.");
                }
                break;
        }
    }

    /// <summary>Members of an object as Go's json.Unmarshal into a map leaves them: a repeated name keeps its last value.</summary>
    private static Dictionary<string, JsonElement> LastWins(JsonElement element)
    {
        var members = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        foreach (var property in element.EnumerateObject())
        {
            members[property.Name] = property.Value;
        }
        return members;
    }

    /// <summary>Go's <c>fmt.Sprintf("%s", v)</c> for what encoding/json decodes into interface{}.</summary>
    internal static string GoSprintS(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.String => element.GetString()!,
        JsonValueKind.True => "%!s(bool=true)",
        JsonValueKind.False => "%!s(bool=false)",
        JsonValueKind.Null => "%!s(<nil>)",
        JsonValueKind.Number => "%!s(float64=" + GoFormatFloat(element.GetDouble()) + ")",
        _ => throw new InvalidOperationException("couldn't parse property"),
    };

    /// <summary>
    /// Go's <c>%v</c> of a float64, <c>strconv.FormatFloat(v, 'g', -1, 64)</c> (strconv/ftoa.go): the shortest digits that
    /// round-trip, in %e form when the decimal exponent is below -4 or at least 6 ("if precision was the shortest
    /// possible, use precision 6 for this decision"), the exponent with at least two digits: 5, 1.5, 123456, 1e+06.
    /// </summary>
    internal static string GoFormatFloat(double value)
    {
        if (value == 0)
        {
            return double.IsNegative(value) ? "-0" : "0";
        }
        var negative = value < 0;
        var (digits, exponent) = Decompose(Math.Abs(value).ToString("R", CultureInfo.InvariantCulture));
        string text;
        if (exponent < -4 || exponent >= 6)
        {
            var mantissa = digits.Length == 1 ? digits : digits[0] + "." + digits[1..];
            text = mantissa + "e" + (exponent < 0 ? "-" : "+") + Math.Abs(exponent).ToString("00", CultureInfo.InvariantCulture);
        }
        else if (exponent < 0)
        {
            text = "0." + new string('0', -exponent - 1) + digits;
        }
        else if (digits.Length <= exponent + 1)
        {
            text = digits + new string('0', exponent + 1 - digits.Length);
        }
        else
        {
            text = digits[..(exponent + 1)] + "." + digits[(exponent + 1)..];
        }
        return negative ? "-" + text : text;
    }

    /// <summary>"1.2345E+21" or "0.00012" or "123.4" → significant digits and the decimal exponent of the first one.</summary>
    private static (string Digits, int Exponent) Decompose(string shortest)
    {
        var e = shortest.IndexOfAny(['E', 'e']);
        var mantissa = e < 0 ? shortest : shortest[..e];
        var exponent = e < 0 ? 0 : int.Parse(shortest[(e + 1)..], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
        var point = mantissa.IndexOf('.');
        var integerPart = point < 0 ? mantissa : mantissa[..point];
        var fraction = point < 0 ? string.Empty : mantissa[(point + 1)..];
        var all = (integerPart + fraction).TrimStart('0');
        var leadingZeros = (integerPart + fraction).Length - all.Length;
        exponent += integerPart.Length - 1 - leadingZeros;
        return (all.TrimEnd('0') is { Length: > 0 } d ? d : "0", exponent);
    }

    private static string GoJsonType(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.Array => "array",
        JsonValueKind.String => "string",
        JsonValueKind.Number => "number",
        JsonValueKind.True or JsonValueKind.False => "bool",
        _ => "value",
    };
}
