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
    public const string Smtp = "bindings.smtp";
    public const string Http = "bindings.http";

    public static readonly IReadOnlySet<string> All =
        new HashSet<string> { StateRedis, PubSubRedis, LocalStorage, Cron, LocalFileSecrets, LockRedis, Smtp, Http };
}

/// <summary>A component before secret references are resolved.</summary>
public sealed record RawComponent(
    string Name, string Type, string Version,
    IReadOnlyDictionary<string, string> Values,
    IReadOnlyDictionary<string, (string Name, string Key)> SecretRefs,
    string? AuthSecretStore,
    IReadOnlyList<string> Scopes,
    string SourceFile);

/// <summary>Everything read from the resources folders of one app (what <c>resourcesPaths</c> points daprd at).</summary>
public sealed class ResourceSet
{
    public List<RawComponent> Components { get; } = [];
    /// <summary>Every Resiliency resource, with its scopes (daprd keeps those that list the app id, or have none).</summary>
    public List<(IReadOnlyList<string> Scopes, Dictionary<object, object> Spec, string SourceFile)> Resiliencies { get; } = [];
    public List<DeclarativeSubscription> Subscriptions { get; } = [];

    /// <summary>The policies that apply to <paramref name="appId"/> (dapr pkg/resiliency/resiliency.go <c>filterResiliencyConfigs</c>).</summary>
    public ResiliencySpec ResiliencyFor(string appId)
    {
        var spec = new ResiliencySpec();
        foreach (var (scopes, resource, file) in Resiliencies.Where(r => r.Scopes.Count == 0 || r.Scopes.Contains(appId)))
        {
            ResourceLoader.DecodeResiliency(resource, spec, file);
        }
        return spec;
    }
}

public static class ResourceLoader
{
    public static ResourceSet Load(string folder) => Load([folder]);

    /// <summary>Reads every resources folder an app is given, in order, as daprd loads <c>--resources-path</c>s.</summary>
    public static ResourceSet Load(IEnumerable<string> folders)
    {
        var set = new ResourceSet();
        var deserializer = new DeserializerBuilder().Build();
        foreach (var file in folders.SelectMany(folder => Directory.EnumerateFiles(folder).Order()).Where(f => f.EndsWith(".yaml", StringComparison.Ordinal) || f.EndsWith(".yml", StringComparison.Ordinal)).Order())
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
                        ValidateResiliency(doc, file);
                        set.Resiliencies.Add((List(doc, "scopes").Select(x => x.ToString()!).ToList(), doc, file));
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

    // The Resiliency CRD's structural schema (dapr v1.16.19 charts/dapr/crds/resiliency.yaml, generated from
    // pkg/apis/resiliency/v1alpha1/types.go): no x-kubernetes-preserve-unknown-fields anywhere, so under kubectl's
    // default --validate=strict an unknown field fails the apply ("strict decoding error: unknown field"). Standalone
    // daprd would ignore it (yaml.Unmarshal, not strict) and run with kit's defaults instead; the same file goes to
    // Kubernetes (k8s/base), so the double refuses it as the cluster would.
    private static readonly Dictionary<string, string[]> ResiliencySchema = new(StringComparer.Ordinal)
    {
        [""] = ["apiVersion", "kind", "metadata", "scopes", "spec"],
        ["spec"] = ["policies", "targets"],
        ["spec.policies"] = ["timeouts", "retries", "circuitBreakers"],
        ["spec.policies.timeouts.*"] = [],
        ["spec.policies.retries.*"] = ["policy", "duration", "maxInterval", "maxRetries", "matching"],
        ["spec.policies.retries.*.matching"] = ["httpStatusCodes", "gRPCStatusCodes"],
        ["spec.policies.circuitBreakers.*"] = ["maxRequests", "interval", "timeout", "trip"],
        ["spec.targets"] = ["apps", "actors", "components"],
        ["spec.targets.apps.*"] = ["timeout", "retry", "circuitBreaker", "circuitBreakerCacheSize"],
        ["spec.targets.actors.*"] = ["timeout", "retry", "circuitBreaker", "circuitBreakerScope", "circuitBreakerCacheSize"],
        ["spec.targets.components.*"] = ["inbound", "outbound"],
        ["spec.targets.components.*.inbound"] = ["timeout", "retry", "circuitBreaker"],
        ["spec.targets.components.*.outbound"] = ["timeout", "retry", "circuitBreaker"],
    };

    private static void ValidateResiliency(Dictionary<object, object> doc, string file)
    {
        Check(doc, "", "");
        foreach (var required in new[] { "policies", "targets" })
        {
            if (!Map(doc, "spec").ContainsKey(required))
            {
                throw new InvalidDataException($"{file}: Resiliency is invalid: spec.{required}: Required value");
            }
        }

        void Check(Dictionary<object, object> node, string schemaPath, string path)
        {
            var named = ResiliencySchema.ContainsKey(Join(schemaPath, "*"));
            ResiliencySchema.TryGetValue(schemaPath, out var allowed);
            foreach (var (key, value) in node)
            {
                var name = key.ToString()!;
                if (!named && allowed is not null && !allowed.Contains(name))
                {
                    throw new InvalidDataException(
                        $"{file}: Resiliency in version \"v1alpha1\" cannot be handled as a Resiliency: strict decoding error: unknown field \"{Join(path, name)}\"");
                }
                // metadata is ObjectMeta, checked by the API server itself; everything else the schema lists.
                if (value is Dictionary<object, object> child && (named || allowed is not null) && name != "metadata")
                {
                    Check(child, Join(schemaPath, named ? "*" : name), Join(path, name));
                }
            }
        }

        static string Join(string a, string b) => a.Length == 0 ? b : a + "." + b;
    }

    /// <summary>Decodes one Resiliency resource's policies and targets into <paramref name="spec"/> (later resources add to it).</summary>
    internal static void DecodeResiliency(Dictionary<object, object> doc, ResiliencySpec spec, string file)
    {
        var policies = Map(Map(doc, "spec"), "policies");
        foreach (var (key, value) in Map(policies, "timeouts"))
        {
            spec.Timeouts[key.ToString()!] = ParsePolicyDuration(value.ToString()!);
        }
        foreach (var (key, value) in Map(policies, "retries"))
        {
            var p = (Dictionary<object, object>)value;
            var policy = (Str(p, "policy") ?? "constant").ToLowerInvariant();
            if (policy is not ("constant" or "exponential"))
            {
                throw new InvalidDataException($"{file}: invalid retry configuration \"{key}\": unexpected back off policy type: {policy}");
            }
            if (p.ContainsKey("matching"))
            {
                throw new NotSupportedException($"{file}: retry '{key}' uses matching, which the test sidecar does not implement.");
            }
            spec.Retries[key.ToString()!] = new RetryPolicy(key.ToString()!, policy,
                Str(p, "duration") is { } d ? ParsePolicyDuration(d) : TimeSpan.FromSeconds(5),
                Str(p, "maxInterval") is { } m ? ParsePolicyDuration(m) : TimeSpan.FromSeconds(60),
                Str(p, "maxRetries") is { } r ? int.Parse(r, CultureInfo.InvariantCulture) : -1);
        }
        foreach (var (key, value) in Map(policies, "circuitBreakers"))
        {
            var p = (Dictionary<object, object>)value;
            spec.CircuitBreakers[key.ToString()!] = new CircuitBreakerPolicy(key.ToString()!,
                Str(p, "maxRequests") is { } n ? int.Parse(n, CultureInfo.InvariantCulture) : 0,
                Str(p, "interval") is { } i ? ParsePolicyDuration(i) : TimeSpan.Zero,
                Str(p, "timeout") is { } t ? ParsePolicyDuration(t) : TimeSpan.Zero,
                Str(p, "trip") is { } trip ? TripCondition.Parse(trip) : TripCondition.Default);
        }
        var targets = Map(Map(doc, "spec"), "targets");
        foreach (var (key, value) in Map(targets, "components"))
        {
            var target = (Dictionary<object, object>)value;
            spec.Components[key.ToString()!] = (Names(Map(target, "inbound")), Names(Map(target, "outbound")));
        }
        foreach (var (key, value) in Map(targets, "apps"))
        {
            spec.Apps[key.ToString()!] = Names((Dictionary<object, object>)value);
        }

        static PolicyNames Names(Dictionary<object, object> d) => new(Str(d, "timeout"), Str(d, "retry"), Str(d, "circuitBreaker"));
    }

    /// <summary>daprd's <c>parseDuration</c>: a bare integer is milliseconds, otherwise a Go duration.</summary>
    public static TimeSpan ParsePolicyDuration(string text) =>
        long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var ms) ? TimeSpan.FromMilliseconds(ms) : ParseDuration(text);

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
