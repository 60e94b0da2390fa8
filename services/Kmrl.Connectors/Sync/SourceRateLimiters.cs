using System.Collections.Concurrent;
using System.Threading.RateLimiting;
using Kmrl.Connectors.Hosting;
using Microsoft.Extensions.Options;

namespace Kmrl.Connectors.Sync;

/// <summary>
/// One token bucket per source. The bucket refills from a <see cref="TimeProvider"/> timer instead of its own, so
/// the timing is testable and follows the same clock as the retries.
/// </summary>
public sealed class SourceRateLimiters(IOptions<ConnectorHostOptions> options, TimeProvider timeProvider) : IDisposable
{
    private readonly RateLimitOptions _options = options.Value.RateLimit;
    private readonly ConcurrentDictionary<string, Lazy<Bucket>> _buckets = new(StringComparer.Ordinal);

    public async ValueTask AcquireAsync(string sourceName, CancellationToken cancellationToken)
    {
        var bucket = _buckets.GetOrAdd(sourceName, _ => new Lazy<Bucket>(CreateBucket)).Value;
        using var lease = await bucket.Limiter.AcquireAsync(1, cancellationToken);
        if (!lease.IsAcquired)
        {
            throw new SourceTransientException($"The rate limit queue of source '{sourceName}' is full.");
        }
    }

    public void Dispose()
    {
        foreach (var bucket in _buckets.Values.Where(b => b.IsValueCreated))
        {
            bucket.Value.Dispose();
        }
    }

    private Bucket CreateBucket()
    {
        var limiter = new TokenBucketRateLimiter(new TokenBucketRateLimiterOptions
        {
            TokenLimit = _options.TokenLimit,
            TokensPerPeriod = _options.TokensPerPeriod,
            ReplenishmentPeriod = _options.ReplenishmentPeriod,
            AutoReplenishment = false,
            QueueLimit = 10_000,
            QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
        });
        var timer = timeProvider.CreateTimer(
            static state => ((TokenBucketRateLimiter)state!).TryReplenish(), limiter, _options.ReplenishmentPeriod, _options.ReplenishmentPeriod);
        return new Bucket(limiter, timer);
    }

    private sealed record Bucket(TokenBucketRateLimiter Limiter, ITimer Timer) : IDisposable
    {
        public void Dispose()
        {
            Timer.Dispose();
            Limiter.Dispose();
        }
    }
}
