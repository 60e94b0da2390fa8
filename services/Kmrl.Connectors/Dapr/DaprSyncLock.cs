using Dapr.Client;
using Kmrl.Connectors.Ports;
using Kmrl.Contracts;
using Microsoft.Extensions.Logging;

namespace Kmrl.Connectors.Dapr;

/// <summary>
/// The Dapr distributed lock API (alpha) over <see cref="DaprNames.Components.LockStore"/>. The owner id is unique
/// per process, so a replica never unlocks another's lease.
/// </summary>
internal sealed class DaprSyncLock(DaprClient daprClient, TimeProvider timeProvider, ILogger<DaprSyncLock> logger) : ISyncLock
{
    private readonly string _owner = $"{Environment.MachineName}-{Environment.ProcessId}-{Guid.NewGuid():N}";

    public async Task<ISyncLease?> TryAcquireAsync(string resourceId, TimeSpan leaseDuration, CancellationToken cancellationToken)
    {
        var seconds = (int)Math.Ceiling(leaseDuration.TotalSeconds);
#pragma warning disable CS0618, DAPR_DISTRIBUTEDLOCK // The lock API is alpha in Dapr; the SDK flags it for that reason only.
        var response = await daprClient.Lock(DaprNames.Components.LockStore, resourceId, _owner, seconds, cancellationToken);
#pragma warning restore CS0618, DAPR_DISTRIBUTEDLOCK
        return response.Success
            ? new Lease(this, resourceId, timeProvider.GetUtcNow() + leaseDuration)
            : null;
    }

    private async Task ReleaseAsync(string resourceId)
    {
        try
        {
#pragma warning disable CS0618, DAPR_DISTRIBUTEDLOCK // The lock API is alpha in Dapr; the SDK flags it for that reason only.
            var response = await daprClient.Unlock(DaprNames.Components.LockStore, resourceId, _owner, CancellationToken.None);
#pragma warning restore CS0618, DAPR_DISTRIBUTEDLOCK
            if (response.status != LockStatus.Success)
            {
                logger.LogWarning("Unlocking {ResourceId} answered {LockStatus}; the lease expires on its own", resourceId, response.status);
            }
        }
        catch (Exception exception)
        {
            // The lease expires anyway; a failed unlock only delays the next run.
            logger.LogWarning(exception, "Unlocking {ResourceId} failed; the lease expires on its own", resourceId);
        }
    }

    private sealed class Lease(DaprSyncLock owner, string resourceId, DateTimeOffset expiresAt) : ISyncLease
    {
        private int _released;

        public string ResourceId => resourceId;

        public DateTimeOffset ExpiresAt => expiresAt;

        public async ValueTask DisposeAsync()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                await owner.ReleaseAsync(resourceId);
            }
        }
    }
}
