using System.Text.Json;
using System.Text.RegularExpressions;

namespace Kmrl.Dapr.Testing.PubSub;

/// <summary>One subscription of an app, programmatic (GET /dapr/subscribe) or declarative.</summary>
public sealed partial record Subscription(string PubSubName, string Topic, string DefaultRoute,
    IReadOnlyList<(string Match, string Path)> Rules, string? DeadLetterTopic)
{
    /// <summary>The route for an event: the first rule whose match holds, else the default.</summary>
    public string? RouteFor(JsonElement envelope)
    {
        foreach (var (match, path) in Rules)
        {
            if (Matches(match, envelope))
            {
                return path;
            }
        }
        return string.IsNullOrEmpty(DefaultRoute) ? null : DefaultRoute;
    }

    /// <summary>
    /// daprd evaluates CEL. The double implements the comparisons routing rules use in practice:
    /// <c>event.&lt;attribute&gt; == "value"</c> and <c>!=</c>, joined by <c>&amp;&amp;</c>; anything else is refused at load.
    /// </summary>
    public static void ValidateMatch(string match)
    {
        foreach (var term in match.Split("&&"))
        {
            if (!Comparison().IsMatch(term.Trim()))
            {
                throw new NotSupportedException($"Routing rule match '{match}' uses CEL the test sidecar does not evaluate.");
            }
        }
    }

    private static bool Matches(string match, JsonElement envelope) =>
        match.Split("&&").All(term =>
        {
            var parts = Comparison().Match(term.Trim());
            var actual = envelope.TryGetProperty(parts.Groups["attr"].Value, out var value) ? value.ToString() : null;
            var expected = parts.Groups["value"].Value;
            return parts.Groups["op"].Value == "==" ? actual == expected : actual != expected;
        });

    public static IReadOnlyList<Subscription> ParseProgrammatic(JsonElement array)
    {
        var subscriptions = new List<Subscription>();
        foreach (var item in array.EnumerateArray())
        {
            var rules = new List<(string, string)>();
            var defaultRoute = Property(item, "route")?.GetString() ?? string.Empty;
            if (Property(item, "routes") is { ValueKind: JsonValueKind.Object } routes)
            {
                defaultRoute = Property(routes, "default")?.GetString() is { Length: > 0 } fallback ? fallback : defaultRoute;
                if (Property(routes, "rules") is { ValueKind: JsonValueKind.Array } ruleArray)
                {
                    foreach (var rule in ruleArray.EnumerateArray())
                    {
                        var match = Property(rule, "match")?.GetString() ?? string.Empty;
                        ValidateMatch(match);
                        rules.Add((match, Property(rule, "path")?.GetString() ?? string.Empty));
                    }
                }
            }
            subscriptions.Add(new Subscription(
                Property(item, "pubsubname")?.GetString() ?? throw new InvalidDataException("A subscription without pubsubname."),
                Property(item, "topic")?.GetString() ?? throw new InvalidDataException("A subscription without topic."),
                defaultRoute,
                rules,
                Property(item, "deadLetterTopic")?.GetString() is { Length: > 0 } deadLetter ? deadLetter : null));
        }
        return subscriptions;
    }

    // daprd reads the app's JSON with Go's decoder, which matches field names case-insensitively
    // (the .NET SDK writes "pubsubName").
    private static JsonElement? Property(JsonElement element, string name)
    {
        foreach (var property in element.EnumerateObject())
        {
            if (string.Equals(property.Name, name, StringComparison.OrdinalIgnoreCase))
            {
                return property.Value;
            }
        }
        return null;
    }

    [GeneratedRegex("""^event\.(?<attr>[a-z0-9_]+)\s*(?<op>==|!=)\s*["'](?<value>[^"']*)["']$""")]
    private static partial Regex Comparison();
}
