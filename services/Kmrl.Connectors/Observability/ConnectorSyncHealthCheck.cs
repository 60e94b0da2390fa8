using Kmrl.Connectors.Hosting;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace Kmrl.Connectors.Observability;

/// <summary>Degraded while any source has failed <c>DegradedAfterConsecutiveFailures</c> runs in a row.</summary>
internal sealed class ConnectorSyncHealthCheck(ConnectorStatusRegistry status, IOptions<ConnectorHostOptions> options) : IHealthCheck
{
    public const string Name = "connector-sync";

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var threshold = options.Value.DegradedAfterConsecutiveFailures;
        var failing = status.All().Where(s => s.ConsecutiveFailures >= threshold).ToList();
        var data = status.All().ToDictionary(s => s.Source, s => (object)s.ConsecutiveFailures);
        if (failing.Count == 0)
        {
            return Task.FromResult(HealthCheckResult.Healthy("Every source's last runs succeeded or failed fewer times in a row than the threshold.", data));
        }
        var description = string.Join("; ", failing.Select(s => $"{s.Source}: {s.ConsecutiveFailures} failed runs in a row, last error: {s.LastError}"));
        return Task.FromResult(HealthCheckResult.Degraded(description, data: data));
    }
}
