using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Kmrl.Testing.Servers;

/// <summary>A POST that reached <see cref="LoopbackWebhook"/>.</summary>
public sealed record ReceivedPost(string Path, string ContentType, IReadOnlyDictionary<string, string> Headers, string Body)
{
    public JsonElement Json => JsonDocument.Parse(Body).RootElement.Clone();
}

/// <summary>
/// A chat webhook on a free loopback port (Kestrel): keeps every POST under any path, answers <c>{"ok":true}</c>, and
/// can refuse the next few with 503 as a chat service in trouble does.
/// </summary>
public sealed class LoopbackWebhook : IAsyncDisposable
{
    private readonly ConcurrentQueue<ReceivedPost> _received = new();
    private WebApplication _app = null!;
    private int _refuse;
    private Action<ReceivedPost>? _onReceived;
    private int _refused;

    /// <summary>The server's root, e.g. <c>http://127.0.0.1:41234</c>.</summary>
    public string BaseUrl => _app.Urls.First();

    /// <summary>Where a test points a webhook binding: <c>/hook</c> under <see cref="BaseUrl"/>.</summary>
    public Uri Url => new(BaseUrl + "/hook");

    public IReadOnlyList<ReceivedPost> Received => [.. _received];

    public int Refused => Volatile.Read(ref _refused);

    public void RefuseNext(int count) => Interlocked.Exchange(ref _refuse, count);

    /// <param name="onReceived">Called with each post it keeps (the demo writes them to .json files).</param>
    public static async Task<LoopbackWebhook> StartAsync(Action<ReceivedPost>? onReceived = null)
    {
        var webhook = new LoopbackWebhook { _onReceived = onReceived };
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
        webhook._app = builder.Build();
        webhook._app.MapPost("/{**path}", webhook.ReceiveAsync);
        await webhook._app.StartAsync();
        return webhook;
    }

    /// <summary>Waits until at least <paramref name="count"/> posts were kept (bounded), and returns them all.</summary>
    public async Task<IReadOnlyList<ReceivedPost>> WaitForAsync(int count, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(20));
        while (_received.Count < count)
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"{_received.Count} of {count} webhook posts arrived.");
            }
            await Task.Delay(25);
        }
        return Received;
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();

    private async Task<IResult> ReceiveAsync(HttpRequest request, string? path)
    {
        if (Interlocked.Decrement(ref _refuse) >= 0)
        {
            Interlocked.Increment(ref _refused);
            return Results.StatusCode(StatusCodes.Status503ServiceUnavailable);
        }
        using var reader = new StreamReader(request.Body);
        var headers = request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase);
        var post = new ReceivedPost(path ?? string.Empty, request.ContentType ?? string.Empty, headers, await reader.ReadToEndAsync());
        _onReceived?.Invoke(post);
        _received.Enqueue(post);
        return Results.Text("{\"ok\":true}", "application/json");
    }
}
