namespace Kmrl.Connectors;

/// <summary>Asks the host for an early sync of a source (a webhook arrived, IMAP IDLE saw new mail).</summary>
public interface ISyncRequests
{
    /// <summary>Requests a sync of <paramref name="sourceName"/>; requests that arrive during a run coalesce into one more run.</summary>
    void Request(string sourceName);
}

/// <summary>
/// A source that can tell when it has news (IMAP IDLE). The host runs <see cref="WatchAsync"/> in the background
/// for the life of the app and restarts it with backoff if it fails; the cron binding stays the safety net.
/// </summary>
public interface IPushTrigger
{
    Task WatchAsync(ISyncRequests syncRequests, CancellationToken cancellationToken);
}
