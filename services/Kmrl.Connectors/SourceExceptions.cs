namespace Kmrl.Connectors;

/// <summary>
/// A source was told to slow down (HTTP 429/503 with <c>Retry-After</c>, a mail server's throttle reply).
/// The host waits <see cref="RetryAfter"/> before it asks the source again, instead of its own backoff.
/// </summary>
public sealed class SourceThrottledException(TimeSpan retryAfter, string? message = null, Exception? innerException = null)
    : Exception(message ?? $"The source asked to retry after {retryAfter}.", innerException)
{
    public TimeSpan RetryAfter { get; } = retryAfter < TimeSpan.Zero ? TimeSpan.Zero : retryAfter;
}

/// <summary>
/// A failure the source knows is temporary (connection reset, server busy). The host retries it with backoff;
/// network exceptions (<see cref="HttpRequestException"/>, <see cref="IOException"/>, timeouts) count as transient too.
/// </summary>
public sealed class SourceTransientException(string message, Exception? innerException = null)
    : Exception(message, innerException);
