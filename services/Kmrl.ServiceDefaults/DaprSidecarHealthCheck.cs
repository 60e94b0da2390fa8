using Dapr.Client;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Kmrl.ServiceDefaults;

/// <summary>Ready only when the sidecar answers its health endpoint: without it nothing can be stored or published.</summary>
public sealed class DaprSidecarHealthCheck(DaprClient daprClient) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            var healthy = await daprClient.CheckHealthAsync(cancellationToken);
            return healthy
                ? HealthCheckResult.Healthy("Dapr sidecar is healthy.")
                : new HealthCheckResult(context.Registration.FailureStatus, "Dapr sidecar is not healthy.");
        }
        catch (Exception exception) when (exception is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return new HealthCheckResult(context.Registration.FailureStatus, "Dapr sidecar is unreachable.", exception);
        }
    }
}
