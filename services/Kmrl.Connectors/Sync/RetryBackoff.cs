using Kmrl.Connectors.Hosting;
using Microsoft.Extensions.Options;

namespace Kmrl.Connectors.Sync;

/// <summary>
/// Exponential backoff with "equal jitter": attempt n waits between half and all of min(base * 2^(n-1), max), so
/// replicas that failed together do not retry together, yet no retry comes sooner than half the nominal delay.
/// </summary>
internal sealed class RetryBackoff(IOptions<ConnectorHostOptions> options)
{
    private readonly TimeSpan _base = options.Value.RetryBaseDelay;
    private readonly TimeSpan _max = options.Value.RetryMaxDelay;

    public TimeSpan DelayFor(int attempt) => DelayFor(attempt, _max);

    public TimeSpan DelayFor(int attempt, TimeSpan max)
    {
        var nominal = Nominal(attempt, max);
        return nominal / 2 + nominal / 2 * Random.Shared.NextDouble();
    }

    /// <summary>The delay before jitter: min(base * 2^(attempt-1), max).</summary>
    public TimeSpan Nominal(int attempt, TimeSpan max)
    {
        var exponent = Math.Clamp(attempt - 1, 0, 30);
        var ticks = Math.Min(_base.Ticks * Math.Pow(2, exponent), max.Ticks);
        return TimeSpan.FromTicks((long)ticks);
    }

    /// <summary>What to wait after <paramref name="exception"/>: the source's Retry-After if it gave one, else backoff.</summary>
    public TimeSpan DelayAfter(Exception exception, int attempt) =>
        FindThrottle(exception) is { } throttled ? throttled.RetryAfter : DelayFor(attempt);

    public static SourceThrottledException? FindThrottle(Exception? exception)
    {
        for (var current = exception; current is not null; current = current.InnerException)
        {
            if (current is SourceThrottledException throttled)
            {
                return throttled;
            }
        }
        return null;
    }
}

/// <summary>Which errors are worth another try of the same call.</summary>
internal static class TransientErrors
{
    public static bool IsTransient(Exception exception, CancellationToken cancellationToken)
    {
        if (SourceFailures.IsPermanent(exception))
        {
            return false;
        }
        for (var current = exception; current is not null; current = current.InnerException)
        {
            switch (current)
            {
                case SourceThrottledException or SourceTransientException or HttpRequestException or IOException
                    or TimeoutException or System.Net.Sockets.SocketException:
                    return true;
                // A timeout inside the source's client (HttpClient.Timeout), not our own cancellation.
                case OperationCanceledException when !cancellationToken.IsCancellationRequested:
                    return true;
            }
        }
        return false;
    }
}
