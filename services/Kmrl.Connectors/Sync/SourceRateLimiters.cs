using System.Collections.Concurrent;
using Kmrl.Connectors.Hosting;
using Microsoft.Extensions.Options;

namespace Kmrl.Connectors.Sync;

/// <summary>
/// One token bucket per source: the bucket starts full (<c>TokenLimit</c>) and gains <c>TokensPerPeriod</c> at the
/// end of every <c>ReplenishmentPeriod</c>. Written on <see cref="TimeProvider"/> rather than on
/// System.Threading.RateLimiting's TokenBucketRateLimiter because that one measures elapsed time with its own
/// stopwatch even when replenished by hand, so its timing could not follow the host's clock (or a test's).
/// </summary>
internal sealed class SourceRateLimiters(IOptions<ConnectorHostOptions> options, TimeProvider timeProvider) : IDisposable
{
    private readonly RateLimitOptions _options = options.Value.RateLimit;
    private readonly ConcurrentDictionary<string, Lazy<Bucket>> _buckets = new(StringComparer.Ordinal);

    public ValueTask AcquireAsync(string sourceName, CancellationToken cancellationToken) =>
        _buckets.GetOrAdd(sourceName, _ => new Lazy<Bucket>(() => new Bucket(_options, timeProvider))).Value.AcquireAsync(cancellationToken);

    public void Dispose()
    {
        foreach (var bucket in _buckets.Values.Where(b => b.IsValueCreated))
        {
            bucket.Value.Dispose();
        }
    }

    private sealed class Bucket(RateLimitOptions options, TimeProvider timeProvider) : IDisposable
    {
        // One acquirer at a time: waiters are served in arrival order and the fields need no other lock.
        private readonly SemaphoreSlim _turn = new(1, 1);
        private long _tokens = options.TokenLimit;
        private long _periodStart = timeProvider.GetTimestamp();

        public async ValueTask AcquireAsync(CancellationToken cancellationToken)
        {
            await _turn.WaitAsync(cancellationToken);
            try
            {
                while (TryTake() is { } wait)
                {
                    await Task.Delay(wait, timeProvider, cancellationToken);
                }
            }
            finally
            {
                _turn.Release();
            }
        }

        public void Dispose() => _turn.Dispose();

        /// <summary>Takes a token, or says how long until the next refill.</summary>
        private TimeSpan? TryTake()
        {
            var period = options.ReplenishmentPeriod;
            var elapsed = timeProvider.GetElapsedTime(_periodStart);
            var periods = elapsed.Ticks / period.Ticks;
            if (periods > 0)
            {
                _tokens = Math.Min(options.TokenLimit, _tokens + periods * options.TokensPerPeriod);
                _periodStart += (long)(periods * period.TotalSeconds * timeProvider.TimestampFrequency);
                elapsed -= TimeSpan.FromTicks(periods * period.Ticks);
            }
            if (_tokens > 0)
            {
                _tokens--;
                return null;
            }
            return period - elapsed;
        }
    }
}
