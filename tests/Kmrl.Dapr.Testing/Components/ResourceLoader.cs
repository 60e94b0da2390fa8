using System.Globalization;
using YamlDotNet.Core;
using YamlDotNet.Serialization;

namespace Kmrl.Dapr.Testing.Components;

/// <summary>Component types the double implements; any other type is refused at load time, as daprd would fail to init it.</summary>
public static class SupportedComponentTypes
{
    public const string StateRedis = "state.redis";
    public const string PubSubRedis = "pubsub.redis";
    public const string LocalStorage = "bindings.localstorage";
    public const string Cron = "bindings.cron";
    public const string LocalFileSecrets = "secretstores.local.file";
    public const string LockRedis = "lock.redis";

    public static readonly IReadOnlySet<string> All =
        new HashSet<string> { StateRedis, PubSubRedis, LocalStorage, Cron, LocalFileSecrets, LockRedis };
}

/// <summary>A component before secret references are resolved.</summary>
public sealed record RawComponent(
    string Name, string Type, string Version,
    IReadOnlyDictionary<string, string> Values,
    IReadOnlyDictionary<string, (string Name, string Key)> SecretRefs,
    string? AuthSecretStore,
    IReadOnlyList<string> Scopes,
    string SourceFile);

/// <summary>Everything read from one resources folder (what <c>resourcesPaths</c> points daprd at).</summary>
public sealed class ResourceSet
{
    public List<RawComponent> Components { get; } = [];
    public Dictionary<string, RetryPolicy> Retries { get; } = new(StringComparer.Ordinal);
    /// <summary>component name → retry policy name for inbound (delivery to the app).</summary>
    public Dictionary<string, string> InboundComponentRetry { get; } = new(StringComparer.Ordinal);
    /// <summary>app id → retry policy name for service invocation.</summary>
    public Dictionary<string, string> AppRetry { get; } = new(StringComparer.Ordinal);
    public List<DeclarativeSubscription> Subscriptions { get; } = [];
}

public static class ResourceLoader
{
    public static ResourceSet Load(string folder)
    {
        var set = new ResourceSet();
        var deserializer = new DeserializerBuilder().Build();
        foreach (var file in Directory.EnumerateFiles(folder).Where(f => f.EndsWith(".yaml", StringComparison.Ordinal) || f.EndsWith(".yml", StringComparison.Ordinal)).Order())
        {
            // A file may hold several documents separated by ---, as daprd accepts.
            using var reader = new StringReader(File.ReadAllText(file));
            var parser = new YamlDotNet.Core.Parser(reader);
            parser.Consume<YamlDotNet.Core.Events.StreamStart>();
            while (parser.Accept<YamlDotNet.Core.Events.DocumentStart>(out _))
            {
                var doc = deserializer.Deserialize<Dictionary<object, object>?>(parser);
                if (doc is null)
                {
                    continue;
                }
                switch (Str(doc, "kind"))
                {
                    case "Component":
                        set.Components.Add(ReadComponent(doc, file));
                        break;
                    case "Resiliency":
                        ReadResiliency(doc, set);
                        break;
                    case "Subscription":
                        set.Subscriptions.Add(ReadSubscription(doc));
                        break;
                    case "Configuration":
                        break;
                    default:
                        throw new InvalidOperationException($"{file}: unknown resource kind '{Str(doc, "kind")}'.");
                }
            }
        }
        var duplicates = set.Components.GroupBy(c => c.Name).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
        if (duplicates.Count > 0)
        {
            throw new InvalidOperationException($"Duplicate component names: {string.Join(", ", duplicates)}.");
        }
        return set;
    }

    private static RawComponent ReadComponent(Dictionary<object, object> doc, string file)
    {
        var name = Str(Map(doc, "metadata"), "name") ?? throw new InvalidOperationException($"{file}: component without metadata.name.");
        var spec = Map(doc, "spec");
        var type = Str(spec, "type") ?? throw new InvalidOperationException($"{file}: component '{name}' without spec.type.");
        if (!SupportedComponentTypes.All.Contains(type))
        {
            throw new NotSupportedException(
                $"{file}: component '{name}' has type '{type}', which the Dapr test sidecar does not implement " +
                $"(supported: {string.Join(", ", SupportedComponentTypes.All.Order())}).");
        }
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        var refs = new Dictionary<string, (string, string)>(StringComparer.Ordinal);
        foreach (var item in List(spec, "metadata").OfType<Dictionary<object, object>>())
        {
            var key = Str(item, "name") ?? throw new InvalidOperationException($"{file}: metadata item without name.");
            if (item.TryGetValue("secretKeyRef", out var r) && r is Dictionary<object, object> secretRef)
            {
                var secretName = Str(secretRef, "name") ?? throw new InvalidOperationException($"{file}: secretKeyRef without name.");
                refs[key] = (secretName, Str(secretRef, "key") ?? secretName);
            }
            else
            {
                values[key] = Str(item, "value") ?? "";
            }
        }
        return new RawComponent(name, type, Str(spec, "version") ?? "v1", values, refs,
            Str(Map(doc, "auth"), "secretStore"), List(doc, "scopes").Select(s => s.ToString()!).ToList(), file);
    }

    private static void ReadResiliency(Dictionary<object, object> doc, ResourceSet set)
    {
        var spec = Map(doc, "spec");
        foreach (var (key, value) in Map(Map(spec, "policies"), "retries"))
        {
            var p = (Dictionary<object, object>)value;
            set.Retries[key.ToString()!] = new RetryPolicy(
                Str(p, "policy") ?? "constant",
                ParseDuration(Str(p, "duration") ?? "5s"),
                ParseDuration(Str(p, "initialInterval") ?? "500ms"),
                ParseDuration(Str(p, "maxInterval") ?? "60s"),
                int.Parse(Str(p, "maxRetries") ?? "-1", CultureInfo.InvariantCulture));
        }
        var targets = Map(spec, "targets");
        foreach (var (key, value) in Map(targets, "components"))
        {
            if (Str(Map((Dictionary<object, object>)value, "inbound"), "retry") is { } retry)
            {
                set.InboundComponentRetry[key.ToString()!] = retry;
            }
        }
        foreach (var (key, value) in Map(targets, "apps"))
        {
            if (Str((Dictionary<object, object>)value, "retry") is { } retry)
            {
                set.AppRetry[key.ToString()!] = retry;
            }
        }
    }

    private static DeclarativeSubscription ReadSubscription(Dictionary<object, object> doc)
    {
        var spec = Map(doc, "spec");
        var routes = spec.GetValueOrDefault("routes");
        string? route = Str(spec, "route");
        var rules = new List<(string, string)>();
        if (routes is Dictionary<object, object> r)
        {
            route = Str(r, "default") ?? route;
            rules.AddRange(List(r, "rules").OfType<Dictionary<object, object>>().Select(x => (Str(x, "match") ?? "", Str(x, "path") ?? "")));
        }
        else if (routes is string s)
        {
            route = s;
        }
        return new DeclarativeSubscription(
            Str(spec, "pubsubname") ?? throw new InvalidOperationException("Subscription without pubsubname."),
            Str(spec, "topic") ?? throw new InvalidOperationException("Subscription without topic."),
            route, rules, Str(spec, "deadLetterTopic"), List(doc, "scopes").Select(x => x.ToString()!).ToList());
    }

    /// <summary>Go duration strings as Dapr writes them: 200ms, 10s, 1m, 1h30m.</summary>
    public static TimeSpan ParseDuration(string text)
    {
        var total = TimeSpan.Zero;
        var i = 0;
        while (i < text.Length)
        {
            var start = i;
            while (i < text.Length && (char.IsDigit(text[i]) || text[i] == '.'))
            {
                i++;
            }
            var number = double.Parse(text[start..i], CultureInfo.InvariantCulture);
            var unitStart = i;
            while (i < text.Length && char.IsLetter(text[i]))
            {
                i++;
            }
            total += text[unitStart..i] switch
            {
                "ms" => TimeSpan.FromMilliseconds(number),
                "s" => TimeSpan.FromSeconds(number),
                "m" => TimeSpan.FromMinutes(number),
                "h" => TimeSpan.FromHours(number),
                "us" or "µs" => TimeSpan.FromMicroseconds(number),
                var unit => throw new FormatException($"Unknown duration unit '{unit}' in '{text}'."),
            };
        }
        return total;
    }

    private static Dictionary<object, object> Map(Dictionary<object, object>? d, string key) =>
        d is not null && d.TryGetValue(key, out var v) && v is Dictionary<object, object> m ? m : [];

    private static List<object> List(Dictionary<object, object> d, string key) =>
        d.TryGetValue(key, out var v) && v is List<object> l ? l : [];

    private static string? Str(Dictionary<object, object>? d, string key) =>
        d is not null && d.TryGetValue(key, out var v) && v is not null ? v.ToString() : null;
}
