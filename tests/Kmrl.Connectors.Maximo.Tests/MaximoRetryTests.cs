using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using Kmrl.BuildingBlocks.Secrets;
using Kmrl.Connectors.Maximo.Rest;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Kmrl.Connectors.Maximo.Tests;

/// <summary>
/// The Maximo client's retries, which are the resilience handler's (MaximoRetry): what is retried, how often per
/// source, and that Maximo's Retry-After is waited for. One loopback server answers each path with the statuses
/// queued for it, then 200.
/// </summary>
public sealed class MaximoRetryTests : IAsyncLifetime
{
    private const string ApiKey = "maximo-api-key-for-retry-tests";
    private readonly ConcurrentDictionary<string, ConcurrentQueue<int>> _answers = new();
    private readonly ConcurrentQueue<string> _requests = new();
    private WebApplication _maximo = null!;
    private ServiceProvider _services = null!;

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        _maximo = builder.Build();
        _maximo.MapGet("/{**path}", (HttpContext context) =>
        {
            var path = context.Request.Path.Value!;
            _requests.Enqueue(path);
            if (_answers.TryGetValue(path, out var queue) && queue.TryDequeue(out var status))
            {
                if (status == 429)
                {
                    context.Response.Headers.RetryAfter = "1";
                }
                return Results.Json(new { Error = new { message = $"BMXAA9999E - injected {status}" } }, statusCode: status);
            }
            return Results.Json(new { member = Array.Empty<object>() });
        });
        await _maximo.StartAsync();
        _services = new ServiceCollection().AddLogging()
            .AddSingleton<ISecretProvider>(InMemorySecrets.One("maximo", "apikey", ApiKey))
            .AddMaximoApiClient().BuildServiceProvider();
    }

    public async Task DisposeAsync()
    {
        await _services.DisposeAsync();
        await _maximo.DisposeAsync();
    }

    private MaximoRestOptions Source(int attempts) => new()
    {
        Name = $"maximo/attempts-{attempts}",
        BaseUrl = new Uri(_maximo.Urls.First()),
        AllowInsecureHttp = true,
        Secret = "maximo",
        Attempts = attempts,
        RetryDelay = TimeSpan.FromMilliseconds(10),
    };

    private Uri Answering(string path, params int[] statuses)
    {
        _answers[path] = new ConcurrentQueue<int>(statuses);
        return new Uri(_maximo.Urls.First() + path);
    }

    private int RequestsTo(string path) => _requests.Count(p => p == path);

    [Theory]
    [InlineData(401)]
    [InlineData(403)]
    [InlineData(404)]
    [InlineData(400)]
    public async Task A_refusal_or_a_missing_record_is_not_retried(int status)
    {
        var api = _services.GetRequiredService<MaximoApiClient>();
        var path = $"/maximo/api/os/refused-{status}";

        var error = await Assert.ThrowsAsync<MaximoApiException>(() => api.GetJsonAsync(Source(attempts: 5), Answering(path, status), CancellationToken.None));

        Assert.Equal((HttpStatusCode)status, error.StatusCode);
        Assert.Equal(1, RequestsTo(path));
    }

    [Theory]
    [InlineData(500)]
    [InlineData(502)]
    [InlineData(503)]
    [InlineData(408)]
    public async Task Transient_answers_are_retried_until_maximo_answers(int status)
    {
        var api = _services.GetRequiredService<MaximoApiClient>();
        var path = $"/maximo/api/os/transient-{status}";

        using var page = await api.GetJsonAsync(Source(attempts: 3), Answering(path, status, status), CancellationToken.None);

        Assert.True(page.RootElement.TryGetProperty("member", out _));
        Assert.Equal(3, RequestsTo(path));
    }

    [Fact]
    public async Task Each_source_gets_its_own_number_of_attempts_on_the_one_client()
    {
        var api = _services.GetRequiredService<MaximoApiClient>();
        var failing = Enumerable.Repeat(503, 10).ToArray();

        await Assert.ThrowsAsync<MaximoApiException>(() => api.GetJsonAsync(Source(attempts: 2), Answering("/maximo/api/os/two", failing), CancellationToken.None));
        await Assert.ThrowsAsync<MaximoApiException>(() => api.GetJsonAsync(Source(attempts: 4), Answering("/maximo/api/os/four", failing), CancellationToken.None));
        await Assert.ThrowsAsync<MaximoApiException>(() => api.GetJsonAsync(Source(attempts: 1), Answering("/maximo/api/os/one", failing), CancellationToken.None));

        Assert.Equal(2, RequestsTo("/maximo/api/os/two"));
        Assert.Equal(4, RequestsTo("/maximo/api/os/four"));
        Assert.Equal(1, RequestsTo("/maximo/api/os/one"));
    }

    [Fact]
    public async Task A_throttled_request_waits_for_maximos_retry_after_rather_than_the_short_backoff()
    {
        var api = _services.GetRequiredService<MaximoApiClient>();
        var path = "/maximo/api/os/throttled";
        var clock = Stopwatch.StartNew();

        using var page = await api.GetJsonAsync(Source(attempts: 2), Answering(path, 429), CancellationToken.None);

        // RetryDelay is 10 ms; Retry-After: 1 asks for a second. Only a lower bound: a loaded machine may take longer.
        Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(900), $"retried after {clock.Elapsed}");
        Assert.Equal(2, RequestsTo(path));
    }
}
