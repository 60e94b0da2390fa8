using Kmrl.Connectors.Hosting;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Kmrl.Connectors.Sync;

/// <summary>
/// Keeps every push trigger (registered as <see cref="IPushTrigger"/>, or a source that also is one) watching for
/// the life of the app, restarting it with backoff when it fails or returns. The cron binding stays the safety net.
/// </summary>
internal sealed class PushTriggerWatcher(
    IEnumerable<IPushTrigger> triggers,
    IEnumerable<IDocumentSource> sources,
    ISyncRequests syncRequests,
    RetryBackoff backoff,
    IOptions<ConnectorHostOptions> options,
    TimeProvider timeProvider,
    ILogger<PushTriggerWatcher> logger) : BackgroundService
{
    /// <summary>A trigger that watched this long before failing starts its backoff over.</summary>
    public static readonly TimeSpan StableAfter = TimeSpan.FromMinutes(5);

    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var all = triggers.Concat(sources.OfType<IPushTrigger>()).Distinct(ReferenceEqualityComparer.Instance).Cast<IPushTrigger>().ToList();
        return Task.WhenAll(all.Select(trigger => WatchAsync(trigger, stoppingToken)));
    }

    private async Task WatchAsync(IPushTrigger trigger, CancellationToken stoppingToken)
    {
        var name = trigger is IDocumentSource source ? source.Name : trigger.GetType().Name;
        var failures = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            var started = timeProvider.GetUtcNow();
            try
            {
                await trigger.WatchAsync(syncRequests, stoppingToken);
                logger.LogWarning("Push trigger {Trigger} stopped watching; restarting it", name);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception exception)
            {
                logger.LogWarning(exception, "Push trigger {Trigger} failed", name);
            }
            failures = timeProvider.GetUtcNow() - started >= StableAfter ? 1 : failures + 1;
            var delay = backoff.DelayFor(failures, options.Value.PushTriggerMaxDelay);
            logger.LogInformation("Restarting push trigger {Trigger} in {Delay} (failure {Failures} in a row)", name, delay, failures);
            try
            {
                await Task.Delay(delay, timeProvider, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }
}
