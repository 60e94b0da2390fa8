using Microsoft.Extensions.Logging;

namespace Kmrl.Dapr.Testing.Components;

/// <summary>The call was refused by an open (or busy half-open) circuit breaker: gobreaker's ErrOpenState / ErrTooManyRequests.</summary>
public sealed class CircuitBreakerOpenException(string breaker, bool halfOpen)
    : Exception(halfOpen ? "too many requests" : "circuit breaker is open")
{
    public string Breaker { get; } = breaker;
}

/// <summary>A policy timeout ran out on an attempt (daprd: context deadline exceeded).</summary>
public sealed class PolicyTimeoutException(TimeSpan timeout) : TimeoutException("context deadline exceeded")
{
    public TimeSpan Timeout { get; } = timeout;
}

/// <summary>
/// A circuit breaker instance, with gobreaker's state machine: closed (counts failures, trips on the policy's
/// condition), open for <c>timeout</c>, then half-open (lets <c>maxRequests</c> through; one failure reopens,
/// <c>maxRequests</c> consecutive successes close).
/// </summary>
public sealed class CircuitBreaker(CircuitBreakerPolicy policy, string instanceName, TimeProvider time, ILogger log)
{
    private readonly Lock _gate = new();
    private string _state = "closed";
    private long _requests, _totalSuccesses, _totalFailures, _consecutiveSuccesses, _consecutiveFailures;
    private DateTimeOffset _expiry = DateTimeOffset.MaxValue;

    public string Name { get; } = policy.Name + "-" + instanceName;

    private int MaxRequests => policy.MaxRequests == 0 ? 1 : policy.MaxRequests;

    private TimeSpan OpenTimeout => policy.Timeout == TimeSpan.Zero ? TimeSpan.FromSeconds(60) : policy.Timeout;

    public string State
    {
        get
        {
            lock (_gate)
            {
                Refresh();
                return _state;
            }
        }
    }

    /// <summary>Before a call: throws when the breaker refuses it.</summary>
    public void BeforeRequest()
    {
        lock (_gate)
        {
            Refresh();
            if (_state == "open")
            {
                throw new CircuitBreakerOpenException(Name, halfOpen: false);
            }
            if (_state == "half-open" && _requests >= MaxRequests)
            {
                throw new CircuitBreakerOpenException(Name, halfOpen: true);
            }
            _requests++;
        }
    }

    public void AfterRequest(bool success)
    {
        lock (_gate)
        {
            Refresh();
            if (success)
            {
                _totalSuccesses++;
                _consecutiveSuccesses++;
                _consecutiveFailures = 0;
                if (_state == "half-open" && _consecutiveSuccesses >= MaxRequests)
                {
                    Move("closed");
                }
                return;
            }
            _totalFailures++;
            _consecutiveFailures++;
            _consecutiveSuccesses = 0;
            if (_state == "half-open"
                || (_state == "closed" && policy.Trip.Holds(new BreakerCounts(_requests, _totalSuccesses, _totalFailures, _consecutiveSuccesses, _consecutiveFailures))))
            {
                Move("open");
            }
        }
    }

    private void Refresh()
    {
        var now = time.GetUtcNow();
        if (_state == "closed" && policy.Interval > TimeSpan.Zero && now >= _expiry)
        {
            Clear(now + policy.Interval);
        }
        else if (_state == "open" && now >= _expiry)
        {
            Move("half-open");
        }
    }

    private void Move(string state)
    {
        log.LogInformation("Circuit breaker {Name} changed state from {From} to {To}", Name, _state, state);
        _state = state;
        var now = time.GetUtcNow();
        Clear(state switch
        {
            "open" => now + OpenTimeout,
            "closed" when policy.Interval > TimeSpan.Zero => now + policy.Interval,
            _ => DateTimeOffset.MaxValue,
        });
    }

    private void Clear(DateTimeOffset expiry)
    {
        _requests = _totalSuccesses = _totalFailures = _consecutiveSuccesses = _consecutiveFailures = 0;
        _expiry = expiry;
    }
}

/// <summary>The policies of one call: a per-attempt timeout, a retry policy, a breaker instance (any may be absent).</summary>
public sealed record PolicyDefinition(string Target, TimeSpan? Timeout, RetryPolicy? Retry, CircuitBreaker? Breaker)
{
    public bool IsEmpty => Timeout is null && Retry is null && Breaker is null;
}

/// <summary>
/// The resiliency policies of one sidecar, applied as daprd's policy runner applies them (dapr v1.16.19
/// pkg/resiliency/policy.go <c>NewRunnerWithOptions</c>): each attempt runs under the timeout and through the
/// breaker; an open breaker is a permanent error (no retry); any other error is retried on the policy's backoff.
/// Circuit breakers are one instance per component name, shared by its inbound and outbound targets
/// (pkg/resiliency/resiliency.go <c>componentCBs.Get(r.log, name, template)</c>).
/// </summary>
public sealed class ResiliencyRunner(ResiliencySpec spec, TimeProvider time, ILogger log)
{
    private readonly Dictionary<string, CircuitBreaker> _componentBreakers = new(StringComparer.Ordinal);
    private readonly Random _random = new();

    public PolicyDefinition ComponentOutbound(string component) => Component(component, inbound: false);

    public PolicyDefinition ComponentInbound(string component) => Component(component, inbound: true);

    /// <summary>Runs <paramref name="operation"/> under the policy; <paramref name="isPermanent"/> errors are not retried.</summary>
    public async Task<T> RunAsync<T>(PolicyDefinition policy, Func<CancellationToken, Task<T>> operation,
        Func<Exception, bool>? isPermanent, CancellationToken cancellationToken)
    {
        if (policy.IsEmpty)
        {
            return await operation(cancellationToken);
        }
        Backoff? backoff;
        lock (_random)
        {
            backoff = policy.Retry?.NewBackoff(time, _random);
        }
        var attempt = 0;
        while (true)
        {
            attempt++;
            try
            {
                return await AttemptAsync(policy, operation, cancellationToken);
            }
            catch (Exception exception) when (!cancellationToken.IsCancellationRequested
                && exception is not CircuitBreakerOpenException && isPermanent?.Invoke(exception) != true)
            {
                var delay = backoff?.Next();
                if (delay is null)
                {
                    throw;
                }
                log.LogDebug("{Target}: attempt {Attempt} failed ({Error}), retrying in {Delay}", policy.Target, attempt, exception.Message, delay);
                await Task.Delay(delay.Value, time, cancellationToken);
            }
        }
    }

    private static async Task<T> AttemptAsync<T>(PolicyDefinition policy, Func<CancellationToken, Task<T>> operation, CancellationToken cancellationToken)
    {
        policy.Breaker?.BeforeRequest();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (policy.Timeout is { } limit)
        {
            timeout.CancelAfter(limit);
        }
        try
        {
            var result = await operation(timeout.Token);
            policy.Breaker?.AfterRequest(success: true);
            return result;
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            policy.Breaker?.AfterRequest(success: false);
            throw new PolicyTimeoutException(policy.Timeout!.Value);
        }
        catch
        {
            policy.Breaker?.AfterRequest(success: false);
            throw;
        }
    }

    private PolicyDefinition Component(string component, bool inbound)
    {
        // daprd's names for the policy target (resiliency.go ComponentInboundPolicy / ComponentOutboundPolicy).
        var target = "component[" + component + (inbound ? "] input" : "] output");
        if (!spec.Components.TryGetValue(component, out var names))
        {
            return new PolicyDefinition(target, null, null, null);
        }
        var chosen = inbound ? names.Inbound : names.Outbound;
        CircuitBreaker? breaker = null;
        if (chosen.CircuitBreaker is { } breakerName && spec.CircuitBreakers.TryGetValue(breakerName, out var template))
        {
            lock (_componentBreakers)
            {
                if (!_componentBreakers.TryGetValue(component, out breaker))
                {
                    breaker = new CircuitBreaker(template, component, time, log);
                    _componentBreakers[component] = breaker;
                }
            }
        }
        return new PolicyDefinition(target,
            chosen.Timeout is { } t && spec.Timeouts.TryGetValue(t, out var timeout) ? timeout : null,
            chosen.Retry is { } r && spec.Retries.TryGetValue(r, out var retry) ? retry : null,
            breaker);
    }
}
