using Kmrl.Connectors.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Kmrl.Connectors.Sync;

/// <summary>
/// Retries a call to the host's own infrastructure (state store, pub/sub) <see cref="ConnectorHostOptions.MaxPublishAttempts"/>
/// times with <see cref="RetryBackoff"/>; the last failure fails the run, so the checkpoint stays put.
/// </summary>
internal sealed class InfrastructureRetry(RetryBackoff backoff, IOptions<ConnectorHostOptions> options, TimeProvider timeProvider, ILogger<InfrastructureRetry> logger)
{
    private readonly int _maxAttempts = options.Value.MaxPublishAttempts;

    public async Task<T> RunAsync<T>(SyncRunContext run, string what, Func<Task<T>> call)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await call();
            }
            catch (Exception exception) when (!run.Token.IsCancellationRequested && attempt < _maxAttempts)
            {
                var delay = backoff.DelayFor(attempt);
                logger.LogWarning(exception, "Could not {What} for {Source} (attempt {Attempt}); retrying in {Delay}", what, run.SourceName, attempt, delay);
                await Task.Delay(delay, timeProvider, run.Token);
            }
        }
    }

    public Task RunAsync(SyncRunContext run, string what, Func<Task> call) =>
        RunAsync(run, what, async () =>
        {
            await call();
            return true;
        });
}
