using System.Globalization;
using YamlDotNet.RepresentationModel;

namespace Kmrl.Deployment.Tests;

/// <summary>
/// How daprd applies a Resiliency to this repository's components, and what follows for the apps:
/// <list type="bullet">
/// <item>An outbound policy wraps the whole component call and retries every error it returns (dapr/dapr
/// pkg/resiliency, pkg/api/universal/secrets.go, pkg/runtime/processor/binding/send.go); only single-key ETag
/// errors are made permanent. A missing secret or blob and a first-write conflict are therefore retried like an
/// outage, so state, secret and binding targets carry no retry: the apps retry those themselves.</item>
/// <item>An inbound circuit breaker is one breaker per component (componentCBs keyed by name), shared by every
/// topic, and an open breaker sends every delivery straight to the dead-letter topic
/// (pkg/runtime/subscription/subscription.go).</item>
/// <item>The inbound retry of the pub/sub is the delivery budget before the dead-letter topic: it must ride out a
/// restart of the subscriber. Exponential backoff starts at 500 ms and grows 1.5x (dapr/kit retry,
/// backoff.DefaultInitialInterval), capped at maxInterval (default 60 s); maxRetries -1 (the default) is forever.</item>
/// <item>targets.apps applies to service invocation of that app, which the Configuration's accessControl
/// (defaultAction: deny) refuses anyway.</item>
/// </list>
/// </summary>
public static class ResiliencyRules
{
    /// <summary>How long the delivery retries must last at least: a rollout or restart of document-api.</summary>
    public static readonly TimeSpan MinimumDeliveryBudget = TimeSpan.FromMinutes(10);

    public static void Check(string label, YamlMappingNode resiliency, IReadOnlyList<DaprResourceRules.Component> components, List<string> violations)
    {
        var where = $"{label}: Resiliency '{resiliency.Child("metadata").Text("name")}'";
        foreach (var problem in CrdSchema.Resiliency.Validate(resiliency))
        {
            violations.Add($"{where}: {problem}");
        }

        var spec = resiliency.Child("spec");
        var retries = spec.Child("policies").Child("retries") as YamlMappingNode;
        foreach (var (key, target) in Entries(spec.Child("targets").Child("components")))
        {
            var name = ((YamlScalarNode)key).Value ?? string.Empty;
            var type = components.FirstOrDefault(c => c.Name == name)?.Type ?? string.Empty;
            var outboundRetry = target.Child("outbound").Text("retry");
            if (outboundRetry is not null && (type.StartsWith("state.", StringComparison.Ordinal)
                    || type.StartsWith("secretstores.", StringComparison.Ordinal) || type.StartsWith("bindings.", StringComparison.Ordinal)))
            {
                violations.Add($"{where}: '{name}' ({type}) retries outbound calls with '{outboundRetry}'; daprd would retry a missing secret or blob or an ETag/first-write conflict like an outage");
            }
            if (!type.StartsWith("pubsub.", StringComparison.Ordinal))
            {
                continue;
            }
            if (target.Child("inbound").Text("circuitBreaker") is { } breaker)
            {
                violations.Add($"{where}: '{name}' has inbound circuit breaker '{breaker}'; it is shared by every topic and, open, sends every delivery to the dead-letter topic");
            }
            var deliveryRetry = target.Child("inbound").Text("retry");
            var budget = deliveryRetry is null ? TimeSpan.Zero : Budget(retries.Child(deliveryRetry));
            if (budget < MinimumDeliveryBudget)
            {
                violations.Add($"{where}: deliveries on '{name}' reach the dead-letter topic after about {budget.TotalSeconds:0} s of retries ('{deliveryRetry}'); they must last {MinimumDeliveryBudget.TotalMinutes:0} minutes to ride out a restart");
            }
            var processingTimeout = ProcessingTimeout(components.FirstOrDefault(c => c.Name == name));
            if (type == "pubsub.redis" && processingTimeout <= budget)
            {
                violations.Add($"{where}: '{name}' runs each delivery under processingTimeout {processingTimeout.TotalSeconds:0} s, which cuts '{deliveryRetry}' (about {Math.Min(budget.TotalSeconds, 1e9):0} s) short; raise processingTimeout above the delivery budget");
            }
        }
        foreach (var (key, _) in Entries(spec.Child("targets").Child("apps")))
        {
            violations.Add($"{where}: targets.apps.{((YamlScalarNode)key).Value} applies to service invocation, which no app uses (accessControl denies it)");
        }
    }

    /// <summary>
    /// pubsub.redis wraps each delivery (daprd's handler with its inbound retries) in a context that ends after
    /// processingTimeout, default 60 s (components-contrib pubsub/redis/redis.go processMessage, parseRedisMetadata).
    /// </summary>
    private static TimeSpan ProcessingTimeout(DaprResourceRules.Component? component)
    {
        var value = component?.Node.Child("spec").Child("metadata") is YamlSequenceNode metadata
            ? metadata.Children.OfType<YamlMappingNode>().FirstOrDefault(m => m.Text("name") == "processingTimeout")?.Text("value")
            : null;
        if (value is null)
        {
            return TimeSpan.FromSeconds(60);
        }
        return long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var milliseconds)
            ? TimeSpan.FromMilliseconds(milliseconds)
            : Duration(value);
    }

    private static IEnumerable<KeyValuePair<YamlNode, YamlNode>> Entries(YamlNode? node) =>
        node is YamlMappingNode mapping ? mapping.Children : [];

    /// <summary>The time a retry policy waits in all before it gives up (without jitter).</summary>
    public static TimeSpan Budget(YamlNode? policy)
    {
        if (policy is null)
        {
            return TimeSpan.Zero;
        }
        var maxRetries = int.TryParse(policy.Text("maxRetries"), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var m) ? m : -1;
        if (maxRetries < 0)
        {
            return TimeSpan.MaxValue;
        }
        if ((policy.Text("policy") ?? "constant") == "constant")
        {
            return Duration(policy.Text("duration") ?? "5s") * maxRetries;
        }
        var cap = Duration(policy.Text("maxInterval") ?? "60s");
        var interval = TimeSpan.FromMilliseconds(500);
        var total = TimeSpan.Zero;
        for (var i = 0; i < maxRetries; i++)
        {
            total += interval < cap ? interval : cap;
            interval *= 1.5;
        }
        return total;
    }

    /// <summary>Go's time.ParseDuration for the forms used here (ms, s, m, h and their sums such as 1m30s).</summary>
    public static TimeSpan Duration(string text)
    {
        var total = TimeSpan.Zero;
        var number = string.Empty;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (char.IsDigit(c) || c == '.')
            {
                number += c;
                continue;
            }
            var unit = c == 'm' && i + 1 < text.Length && text[i + 1] == 's' ? "ms" : c.ToString();
            i += unit.Length - 1;
            var value = double.Parse(number, CultureInfo.InvariantCulture);
            total += unit switch
            {
                "ms" => TimeSpan.FromMilliseconds(value),
                "s" => TimeSpan.FromSeconds(value),
                "m" => TimeSpan.FromMinutes(value),
                "h" => TimeSpan.FromHours(value),
                _ => throw new FormatException($"Unsupported duration '{text}'"),
            };
            number = string.Empty;
        }
        if (number.Length > 0)
        {
            throw new FormatException($"Duration '{text}' has no unit");
        }
        return total;
    }
}
