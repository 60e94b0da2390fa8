namespace Kmrl.Connectors.Ports;

/// <summary>Keeps a source's sync single-flight across replicas.</summary>
public interface ISyncLock
{
    /// <summary>The lease, or null when another owner holds <paramref name="resourceId"/>.</summary>
    Task<ISyncLease?> TryAcquireAsync(string resourceId, TimeSpan leaseDuration, CancellationToken cancellationToken);
}

/// <summary>A held lock; disposing releases it (the lease also expires on its own if this process dies).</summary>
public interface ISyncLease : IAsyncDisposable
{
    string ResourceId { get; }

    DateTimeOffset ExpiresAt { get; }
}
