using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Kmrl.Notifications.Tests;

/// <summary>A chat webhook on a free loopback port: keeps every JSON body, and can refuse the first few with 503.</summary>
public sealed class WebhookReceiver : IAsyncDisposable
{
    private readonly ConcurrentQueue<(string ContentType, JsonElement Body)> _received = new();
    private WebApplication _app = null!;
    private int _refuse;

    public Uri Url { get; private set; } = null!;

    public IReadOnlyList<(string ContentType, JsonElement Body)> Received => [.. _received];

    /// <summary>Answers the next <paramref name="count"/> posts with 503, as a chat service in trouble does.</summary>
    public void RefuseNext(int count) => Interlocked.Exchange(ref _refuse, count);

    public int Refused { get; private set; }

    public static async Task<WebhookReceiver> StartAsync()
    {
        var receiver = new WebhookReceiver();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
        receiver._app = builder.Build();
        receiver._app.MapPost("/hook", async (HttpRequest request) =>
        {
            if (Interlocked.Decrement(ref receiver._refuse) >= 0)
            {
                receiver.Refused++;
                return Results.StatusCode(StatusCodes.Status503ServiceUnavailable);
            }
            using var document = await JsonDocument.ParseAsync(request.Body);
            receiver._received.Enqueue((request.ContentType ?? string.Empty, document.RootElement.Clone()));
            return Results.Ok();
        });
        await receiver._app.StartAsync();
        receiver.Url = new Uri(receiver._app.Urls.First() + "/hook");
        return receiver;
    }

    public async Task<IReadOnlyList<JsonElement>> WaitForAsync(int count, TimeSpan? timeout = null)
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
        return [.. _received.Select(r => r.Body)];
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}
