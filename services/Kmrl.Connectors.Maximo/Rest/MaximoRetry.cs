using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Logging;
using Polly;

namespace Kmrl.Connectors.Maximo.Rest;

/// <summary>
/// The Maximo client's one retry policy, Microsoft.Extensions.Http.Resilience's retry strategy: GETs only, on
/// transient failures (5xx, 408, 429, HttpRequestException, an attempt that timed out), waiting Polly's exponential
/// backoff with jitter from <see cref="MaximoRestOptions.RetryDelay"/> or the server's Retry-After. 401, 403, 404 and
/// every other answer are returned at once. Sources differ in <see cref="MaximoRestOptions.Attempts"/> and
/// <see cref="MaximoRestOptions.RetryDelay"/>, so each request names its pair and runs on the pipeline built for that
/// pair (one per distinct pair, cached by the handler).
/// </summary>
internal static partial class MaximoRetry
{
    public const string HandlerName = "maximo-retry";

    /// <summary>
    /// Per attempt, until the response headers: what HttpClient.Timeout (100 s) bounded per try when the retries were
    /// calls of their own. HttpClient.Timeout itself is off, or it would cut the retries short.
    /// </summary>
    public static readonly TimeSpan AttemptTimeout = TimeSpan.FromSeconds(100);

    private static readonly HttpRequestOptionsKey<string> PipelineKey = new("Kmrl.Maximo.RetryPipeline");

    /// <summary>Marks the request with the source's attempts and delay, which choose its pipeline.</summary>
    public static void Select(HttpRequestMessage request, MaximoRestOptions options) =>
        request.Options.Set(PipelineKey, Key(options.Attempts, options.RetryDelay));

    public static IHttpClientBuilder AddMaximoRetry(this IHttpClientBuilder client)
    {
        client.AddResilienceHandler(HandlerName, (pipeline, context) =>
            {
                var (attempts, delay) = Parse(context.InstanceName);
                if (attempts > 1)
                {
                    var logger = context.ServiceProvider.GetRequiredService<ILoggerFactory>().CreateLogger<MaximoApiClient>();
                    // ShouldHandle stays the package's transient predicate: 5xx, 408, 429, HttpRequestException and
                    // TimeoutRejectedException; never 401/403/404. Disabling unsafe methods keeps it to GET.
                    var retry = new HttpRetryStrategyOptions
                    {
                        MaxRetryAttempts = attempts - 1,
                        Delay = delay,
                        BackoffType = DelayBackoffType.Exponential,
                        UseJitter = true,
                        ShouldRetryAfterHeader = true,
                        OnRetry = args =>
                        {
                            var reason = args.Outcome.Exception?.Message ?? $"{(int)args.Outcome.Result!.StatusCode} {args.Outcome.Result.ReasonPhrase}";
                            LogRetry(logger, args.Context.GetRequestMessage()?.RequestUri?.AbsolutePath ?? string.Empty, args.AttemptNumber + 1, args.RetryDelay, reason);
                            return ValueTask.CompletedTask;
                        },
                    };
                    retry.DisableForUnsafeHttpMethods();
                    pipeline.AddRetry(retry);
                }
                pipeline.AddTimeout(AttemptTimeout);
            })
            // A request without a mark (none is sent so) gets one try, not someone else's retries.
            .SelectPipelineBy(_ => request => request.Options.TryGetValue(PipelineKey, out var key) ? key : Key(1, TimeSpan.Zero));
        return client;
    }

    internal static string Key(int attempts, TimeSpan delay) =>
        string.Create(CultureInfo.InvariantCulture, $"{attempts}:{delay.Ticks}");

    private static (int Attempts, TimeSpan Delay) Parse(string key)
    {
        var colon = key.IndexOf(':', StringComparison.Ordinal);
        return (int.Parse(key.AsSpan(0, colon), CultureInfo.InvariantCulture),
            TimeSpan.FromTicks(long.Parse(key.AsSpan(colon + 1), CultureInfo.InvariantCulture)));
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Maximo GET {Path} failed (attempt {Attempt}), retrying in {Delay}: {Reason}")]
    private static partial void LogRetry(ILogger logger, string path, int attempt, TimeSpan delay, string reason);
}
