using System.Globalization;
using YamlDotNet.Serialization;

namespace Kmrl.Dapr.Testing.Workflow;

/// <summary>
/// The sidecar Configuration's workflow concurrency: <c>spec.workflow.maxConcurrentWorkflowInvocations</c> and
/// <c>maxConcurrentActivityInvocations</c> (dapr/dapr pkg/config/configuration.go <c>WorkflowSpec</c>). daprd hands them
/// to its durabletask-go workers as <c>backend.WithMaxParallelism</c> (dapr/dapr pkg/runtime/wfengine/wfengine.go), so
/// that many workflow turns and that many activities at most are out with the app at once; absent means no limit.
/// The double's engine always needs a number: without a setting it keeps the 100 it had.
/// </summary>
public sealed record WorkflowLimits(int? MaxConcurrentWorkflowInvocations, int? MaxConcurrentActivityInvocations)
{
    public const int Unset = 100;

    public static readonly WorkflowLimits None = new(null, null);

    public int Workflows => MaxConcurrentWorkflowInvocations ?? Unset;

    public int Activities => MaxConcurrentActivityInvocations ?? Unset;

    /// <summary>The limits of a Configuration file (null: the sidecar runs without one).</summary>
    public static WorkflowLimits Read(string? configurationFile)
    {
        if (configurationFile is null)
        {
            return None;
        }
        var document = new DeserializerBuilder().Build().Deserialize<Dictionary<object, object>?>(File.ReadAllText(configurationFile));
        if (document is null || !Equals(Value(document, "kind"), "Configuration"))
        {
            throw new InvalidOperationException($"{configurationFile} is not a Dapr Configuration.");
        }
        var workflow = Value(document, "spec") is Dictionary<object, object> spec && Value(spec, "workflow") is Dictionary<object, object> w ? w : [];
        return new WorkflowLimits(Limit(workflow, "maxConcurrentWorkflowInvocations", configurationFile), Limit(workflow, "maxConcurrentActivityInvocations", configurationFile));
    }

    private static object? Value(Dictionary<object, object> map, string key) => map.TryGetValue(key, out var value) ? value : null;

    private static int? Limit(Dictionary<object, object> workflow, string key, string file)
    {
        if (Value(workflow, key) is not { } raw)
        {
            return null;
        }
        // The CRD types both as int32; a quoted or fractional value is refused as the API server would refuse it.
        if (raw is not string text || !int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) || value < 1)
        {
            throw new InvalidOperationException($"{file}: spec.workflow.{key} must be a positive integer, not '{raw}'.");
        }
        return value;
    }
}
