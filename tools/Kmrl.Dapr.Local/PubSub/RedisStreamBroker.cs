using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Kmrl.Dapr.Testing.Components;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace Kmrl.Dapr.Testing.PubSub;

/// <summary>
/// pubsub.redis over Redis streams, as daprd uses it: one stream per topic (field <c>data</c> holds the CloudEvent),
/// one consumer group per app id (competing consumers inside an app id, fan-out across app ids), entries
/// acknowledged only after the app answered, so an unacknowledged entry is delivered again after an app restart.
/// </summary>
public sealed class RedisStreamBroker(IConnectionMultiplexer redis)
{
    public async Task<string> PublishAsync(string topic, byte[] cloudEvent)
    {
        var id = await redis.GetDatabase().StreamAddAsync(topic, "data", cloudEvent);
        return id.ToString();
    }

    /// <summary>Every CloudEvent ever published on a topic, oldest first (test inspection).</summary>
    public async Task<IReadOnlyList<JsonElement>> ReadAllAsync(string topic)
    {
        var entries = await redis.GetDatabase().StreamRangeAsync(topic);
        return entries.Select(entry => JsonDocument.Parse((byte[])entry["data"]!).RootElement.Clone()).ToList();
    }

    /// <summary>Delivers a subscription's entries to the app until cancelled.</summary>
    public async Task DeliverAsync(DeliveryTarget target, CancellationToken cancellationToken)
    {
        try
        {
            await DeliverUntilStoppedAsync(target, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The sidecar is shutting down; an entry in flight stays unacknowledged and is delivered again later.
        }
    }

    private async Task DeliverUntilStoppedAsync(DeliveryTarget target, CancellationToken cancellationToken)
    {
        var database = redis.GetDatabase();
        var topic = target.Subscription.Topic;
        try
        {
            await database.StreamCreateConsumerGroupAsync(topic, target.AppId, StreamPosition.Beginning, createStream: true);
        }
        catch (RedisServerException exception) when (exception.Message.Contains("BUSYGROUP", StringComparison.Ordinal))
        {
            // Another replica of the app (or an earlier run) created it: join it.
        }

        // First what this consumer left unacknowledged, then new entries. Like pubsub.redis, every redeliverInterval
        // the double claims entries of its group pending for at least processingTimeout, whoever read them
        // (components-contrib pubsub/redis/redis.go reclaimPendingMessages: XPENDING, XCLAIM with MinIdle).
        var position = "0-0";
        var redelivery = target.Redelivery;
        var nextReclaim = DateTime.UtcNow + redelivery.Interval;
        while (!cancellationToken.IsCancellationRequested)
        {
            if (redelivery.Enabled && DateTime.UtcNow >= nextReclaim)
            {
                await ReclaimAsync(database, target, cancellationToken);
                nextReclaim = DateTime.UtcNow + redelivery.Interval;
            }
            StreamEntry[] entries;
            try
            {
                entries = await database.StreamReadGroupAsync(topic, target.AppId, target.ConsumerName, position, count: 10);
            }
            catch (RedisConnectionException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            if (entries.Length == 0)
            {
                if (position != ">")
                {
                    position = ">";
                    continue;
                }
                await Task.Delay(25, cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                continue;
            }
            var lastPending = position == ">" ? null : entries[^1].Id.ToString();
            foreach (var entry in entries)
            {
                await DeliverAndAcknowledgeAsync(database, target, entry, cancellationToken);
            }
            if (lastPending is not null)
            {
                // Reading pending entries from an id onwards: continue after the last one, not from the start.
                position = lastPending;
            }
        }
    }

    private async Task ReclaimAsync(IDatabase database, DeliveryTarget target, CancellationToken cancellationToken)
    {
        var topic = target.Subscription.Topic;
        var minIdle = (long)target.Redelivery.ProcessingTimeout.TotalMilliseconds;
        var pending = await database.StreamPendingMessagesAsync(topic, target.AppId, 100, RedisValue.Null);
        var due = pending.Where(p => p.IdleTimeInMilliseconds >= minIdle).Select(p => p.MessageId).ToArray();
        if (due.Length == 0)
        {
            return;
        }
        var claimed = await database.StreamClaimAsync(topic, target.AppId, target.ConsumerName, minIdle, due);
        foreach (var entry in claimed.Where(e => !e.IsNull && e.Values.Length > 0))
        {
            target.Log.LogInformation("Redelivering an event on {Topic} left pending for {Idle}", topic, target.Redelivery.ProcessingTimeout);
            await DeliverAndAcknowledgeAsync(database, target, entry, cancellationToken);
        }
    }

    private async Task DeliverAndAcknowledgeAsync(IDatabase database, DeliveryTarget target, StreamEntry entry, CancellationToken cancellationToken)
    {
        if (await DeliverEntryAsync(target, entry, cancellationToken))
        {
            await database.StreamAcknowledgeAsync(target.Subscription.Topic, target.AppId, entry.Id);
        }
    }

    /// <summary>
    /// One delivery as daprd's subscription handler runs it (dapr v1.16.19 pkg/runtime/subscription/subscription.go):
    /// an event no route matches, an app's DROP (or a 404) and an event the inbound policy gave up on go to the
    /// dead-letter topic when the subscription has one, and are acknowledged; without one, a failure is returned to
    /// the component, which leaves the entry pending for redelivery. Returns whether the entry is acknowledged.
    /// </summary>
    private async Task<bool> DeliverEntryAsync(DeliveryTarget target, StreamEntry entry, CancellationToken cancellationToken)
    {
        var body = (byte[])entry["data"]!;
        using var document = JsonDocument.Parse(body);
        var route = target.Subscription.RouteFor(document.RootElement);
        if (route is null)
        {
            target.Log.LogWarning("No route matched an event on {Topic}; dropped as daprd does", target.Subscription.Topic);
            await DeadLetterAsync(target, body, 0, cancellationToken);
            return true;
        }

        var attempts = 0;
        // pubsub.redis runs the handler (daprd's delivery, inbound policy included) under a processingTimeout
        // deadline when redelivery is on (components-contrib pubsub/redis/redis.go processMessage): a retry policy
        // longer than that is cut there.
        using var processing = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (target.Redelivery.Enabled)
        {
            processing.CancelAfter(target.Redelivery.ProcessingTimeout);
        }
        try
        {
            var outcome = await target.Policies.RunAsync(target.Policy, async attemptToken =>
            {
                attempts++;
                var (result, answer) = await PostAsync(target, route, body, attemptToken);
                target.Deliveries.Add(new Delivery(target.Subscription.Topic, route, result, attempts));
                // The app's answer is logged as daprd logs it (the status code of a refusal), so a route refusing
                // every delivery (a missing app token, say) is visible at once and not only as endless retries.
                target.Log.LogInformation("Delivery {Attempt} of an event on {Topic} to {Route}: {Outcome} ({Answer})", attempts, target.Subscription.Topic, route, result, answer);
                return result == DeliveryOutcome.Retry ? throw new DeliveryRetryException() : result;
            }, isPermanent: null, processing.Token);
            if (outcome == DeliveryOutcome.Drop)
            {
                await DeadLetterAsync(target, body, attempts, cancellationToken);
            }
            return true;
        }
        catch (Exception exception) when (!cancellationToken.IsCancellationRequested)
        {
            if (target.Subscription.DeadLetterTopic is null)
            {
                target.Log.LogWarning("Delivery of an event on {Topic} failed after {Attempts} attempts ({Error}); left pending for redelivery",
                    target.Subscription.Topic, attempts, exception.Message);
                return false;
            }
            await DeadLetterAsync(target, body, attempts, cancellationToken);
            return true;
        }
    }

    private async Task DeadLetterAsync(DeliveryTarget target, byte[] body, int attempts, CancellationToken cancellationToken)
    {
        if (target.Subscription.DeadLetterTopic is { } deadLetter && !cancellationToken.IsCancellationRequested)
        {
            await PublishAsync(deadLetter, body);
            target.Log.LogInformation("Event on {Topic} dead-lettered to {DeadLetter} after {Attempts} attempts", target.Subscription.Topic, deadLetter, attempts);
        }
    }

    private sealed class DeliveryRetryException() : Exception("the app asked for a retry (RETRY, a non-2xx answer or no answer)");

    private static async Task<(DeliveryOutcome Outcome, string Answer)> PostAsync(DeliveryTarget target, string route, byte[] body, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(target.AppAddress, route.TrimStart('/')));
        request.Content = new ByteArrayContent(body);
        request.Content.Headers.ContentType = new MediaTypeHeaderValue(CloudEvents.ContentType);
        if (target.AppApiToken is { } token)
        {
            request.Headers.Add("dapr-api-token", token);
        }
        try
        {
            using var response = await target.Http.SendAsync(request, cancellationToken);
            if (response.StatusCode == HttpStatusCode.NotFound)
            {
                return (DeliveryOutcome.Drop, "HTTP 404"); // daprd logs and drops on 404.
            }
            if (!response.IsSuccessStatusCode)
            {
                return (DeliveryOutcome.Retry, "HTTP " + (int)response.StatusCode);
            }
            var text = await response.Content.ReadAsStringAsync(cancellationToken);
            if (string.IsNullOrWhiteSpace(text))
            {
                return (DeliveryOutcome.Success, "empty body");
            }
            try
            {
                using var answer = JsonDocument.Parse(text);
                var status = answer.RootElement.ValueKind == JsonValueKind.Object && answer.RootElement.TryGetProperty("status", out var s)
                    ? s.GetString()?.ToUpperInvariant() : null;
                var outcome = status switch
                {
                    "RETRY" => DeliveryOutcome.Retry,
                    "DROP" => DeliveryOutcome.Drop,
                    _ => DeliveryOutcome.Success,
                };
                return (outcome, status ?? "no status");
            }
            catch (JsonException)
            {
                return (DeliveryOutcome.Success, "not JSON");
            }
        }
        catch (HttpRequestException exception)
        {
            return (DeliveryOutcome.Retry, "no answer: " + exception.Message);
        }
    }
}

public enum DeliveryOutcome { Success, Retry, Drop }

/// <summary>
/// pubsub.redis redelivery settings: <c>processingTimeout</c> (default 60 s) and <c>redeliverInterval</c> (default
/// 15 s; components-contrib pubsub/redis parseRedisMetadata); either at 0 disables redelivery and the handler deadline.
/// </summary>
public sealed record Redelivery(TimeSpan ProcessingTimeout, TimeSpan Interval)
{
    public bool Enabled => ProcessingTimeout > TimeSpan.Zero && Interval > TimeSpan.Zero;
}

public sealed record Delivery(string Topic, string Route, DeliveryOutcome Outcome, int Attempt);

public sealed record DeliveryTarget(
    string AppId,
    string ConsumerName,
    Uri AppAddress,
    Subscription Subscription,
    ResiliencyRunner Policies,
    PolicyDefinition Policy,
    Redelivery Redelivery,
    HttpClient Http,
    string? AppApiToken,
    ILogger Log,
    System.Collections.Concurrent.ConcurrentBag<Delivery> Deliveries);
