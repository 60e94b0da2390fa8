namespace Kmrl.Dapr.Testing.Components;

/// <summary>
/// A retry policy of a Resiliency resource, decoded as daprd decodes it: <c>retry.DefaultConfig()</c> first, then the
/// fields the resource has (dapr v1.16.19 pkg/resiliency/resiliency.go <c>decodePolicies</c>). Defaults from dapr/kit
/// v0.16.1 retry/retry.go <c>DefaultConfig</c>: constant, 5 s, maxRetries -1 (forever); exponential from
/// backoff's 500 ms initial interval, ×1.5, ±50 % randomisation, 60 s maxInterval and a 15 min maxElapsedTime
/// (cenkalti/backoff v4 defaults), none of which the Resiliency schema lets a file change except maxInterval.
/// </summary>
public sealed record RetryPolicy(string Name, string Policy, TimeSpan Duration, TimeSpan MaxInterval, int MaxRetries)
{
    public static readonly TimeSpan InitialInterval = TimeSpan.FromMilliseconds(500);
    public const double Multiplier = 1.5;
    public const double RandomizationFactor = 0.5;
    public static readonly TimeSpan MaxElapsedTime = TimeSpan.FromMinutes(15);

    public bool IsExponential => Policy == "exponential";

    /// <summary>A fresh backoff for one operation (daprd builds one per runner, as kit's <c>NewBackOff</c> is not shared).</summary>
    public Backoff NewBackoff(TimeProvider time, Random random) => new(this, time, random);
}

/// <summary>
/// One operation's backoff: cenkalti/backoff v4 <c>ExponentialBackOff</c> or <c>ConstantBackOff</c> wrapped by
/// <c>WithMaxRetries</c> when maxRetries ≥ 0. <see cref="Next"/> returns null when the policy stops.
/// </summary>
public sealed class Backoff(RetryPolicy policy, TimeProvider time, Random random)
{
    private readonly long _started = time.GetTimestamp();
    private double _currentMs = RetryPolicy.InitialInterval.TotalMilliseconds;
    private int _retries;

    public TimeSpan? Next()
    {
        if (policy.MaxRetries >= 0 && _retries >= policy.MaxRetries)
        {
            return null;
        }
        _retries++;
        if (!policy.IsExponential)
        {
            return policy.Duration;
        }
        // ExponentialBackOff.NextBackOff: a random value in [current·(1-f), current·(1+f)], then current grows ×1.5
        // up to maxInterval; it stops once elapsed time plus the next delay would pass maxElapsedTime.
        var delta = RetryPolicy.RandomizationFactor * _currentMs;
        var min = _currentMs - delta;
        var next = min + (random.NextDouble() * (_currentMs + delta - min));
        var maxMs = policy.MaxInterval.TotalMilliseconds;
        _currentMs = _currentMs >= maxMs / RetryPolicy.Multiplier ? maxMs : _currentMs * RetryPolicy.Multiplier;
        var delay = TimeSpan.FromMilliseconds(next);
        if (time.GetElapsedTime(_started) + delay > RetryPolicy.MaxElapsedTime)
        {
            return null;
        }
        return delay;
    }
}

/// <summary>
/// A circuit breaker policy (dapr pkg/resiliency/breaker/circuitbreaker.go over sony/gobreaker): maxRequests in
/// half-open (0 means 1), interval to clear counts while closed (0 = never), timeout open → half-open (0 means 60 s),
/// trip evaluated on every failure while closed (default <c>consecutiveFailures &gt; 5</c>).
/// </summary>
public sealed record CircuitBreakerPolicy(string Name, int MaxRequests, TimeSpan Interval, TimeSpan Timeout, TripCondition Trip);

/// <summary>
/// The trip expression. daprd evaluates CEL over requests, totalSuccesses, totalFailures, consecutiveSuccesses and
/// consecutiveFailures; the double evaluates the comparisons <c>&lt;counter&gt; &gt;|&gt;=|== N</c> and refuses other CEL.
/// </summary>
public sealed record TripCondition(string Counter, string Operator, long Value)
{
    public static readonly TripCondition Default = new("consecutiveFailures", ">", 5);

    private static readonly string[] Counters = ["requests", "totalSuccesses", "totalFailures", "consecutiveSuccesses", "consecutiveFailures"];

    public static TripCondition Parse(string expression)
    {
        var parts = expression.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length != 3 || !Counters.Contains(parts[0]) || parts[1] is not (">" or ">=" or "==")
            || !long.TryParse(parts[2], System.Globalization.CultureInfo.InvariantCulture, out var value))
        {
            throw new NotSupportedException($"Circuit breaker trip '{expression}' uses CEL the test sidecar does not evaluate.");
        }
        return new TripCondition(parts[0], parts[1], value);
    }

    public bool Holds(BreakerCounts counts)
    {
        var actual = Counter switch
        {
            "requests" => counts.Requests,
            "totalSuccesses" => counts.TotalSuccesses,
            "totalFailures" => counts.TotalFailures,
            "consecutiveSuccesses" => counts.ConsecutiveSuccesses,
            _ => counts.ConsecutiveFailures,
        };
        return Operator switch { ">" => actual > Value, ">=" => actual >= Value, _ => actual == Value };
    }
}

public sealed record BreakerCounts(long Requests, long TotalSuccesses, long TotalFailures, long ConsecutiveSuccesses, long ConsecutiveFailures);

/// <summary>The policy names one direction of a component target (or an app target) uses.</summary>
public sealed record PolicyNames(string? Timeout, string? Retry, string? CircuitBreaker)
{
    public static readonly PolicyNames None = new(null, null, null);
}

/// <summary>The policies of every Resiliency resource that applies to one app, decoded.</summary>
public sealed class ResiliencySpec
{
    public Dictionary<string, TimeSpan> Timeouts { get; } = new(StringComparer.Ordinal);
    public Dictionary<string, RetryPolicy> Retries { get; } = new(StringComparer.Ordinal);
    public Dictionary<string, CircuitBreakerPolicy> CircuitBreakers { get; } = new(StringComparer.Ordinal);
    public Dictionary<string, (PolicyNames Inbound, PolicyNames Outbound)> Components { get; } = new(StringComparer.Ordinal);
    public Dictionary<string, PolicyNames> Apps { get; } = new(StringComparer.Ordinal);
}
