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

/// <summary>
/// Implemented by a source's exceptions that can tell a refusal for good (an FTP 5xx reply, a file without read
/// permission) from a passing one. The host does not retry an item whose failure is permanent: it dead-letters it at
/// once with the reason, and the checkpoint moves past it. Not implemented means "ask again" as before.
/// </summary>
public interface ISourceFailureKind
{
    bool IsPermanent { get; }
}

public static class SourceFailures
{
    /// <summary>Whether <paramref name="exception"/> or an exception inside it says the source refused for good.</summary>
    public static bool IsPermanent(Exception? exception)
    {
        for (var current = exception; current is not null; current = current.InnerException)
        {
            if (current is ISourceFailureKind { IsPermanent: true })
            {
                return true;
            }
        }
        return false;
    }
}
