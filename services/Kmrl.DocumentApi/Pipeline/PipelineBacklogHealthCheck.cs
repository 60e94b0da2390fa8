using Kmrl.DocumentApi.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace Kmrl.DocumentApi.Pipeline;

/// <summary>
/// Degraded, not unhealthy, when the backlog passes its depth: uploads are still accepted (the hand-off is durable), but
/// a user and an operator see that processing is behind and by how much.
/// </summary>
public sealed class PipelineBacklogHealthCheck(PipelineBacklog backlog, IOptionsMonitor<PipelineOptions> options) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var depth = backlog.Depth;
        var limit = options.CurrentValue.BacklogDegradedDepth;
        var data = new Dictionary<string, object> { ["depth"] = depth, ["degradedDepth"] = limit };
        return Task.FromResult(depth > limit
            ? HealthCheckResult.Degraded($"{depth} documents wait for processing (more than {limit}).", data: data)
            : HealthCheckResult.Healthy($"{depth} documents wait for processing.", data));
    }
}
