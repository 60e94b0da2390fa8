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

        // First what this consumer left unacknowledged (a crashed app), then new entries. pubsub.redis reclaims
        // entries left pending every redeliverInterval (components-contrib pubsub/redis: processingTimeout and
        // redeliverInterval, 60 s by default): the double rereads its own pending entries on that interval.
        var position = "0-0";
        var nextReclaim = DateTime.UtcNow + target.RedeliverInterval;
        while (!cancellationToken.IsCancellationRequested)
        {
            if (position == ">" && DateTime.UtcNow >= nextReclaim)
            {
                position = "0-0";
                nextReclaim = DateTime.UtcNow + target.RedeliverInterval;
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
                if (await DeliverEntryAsync(target, entry, cancellationToken))
                {
                    await database.StreamAcknowledgeAsync(topic, target.AppId, entry.Id);
                }
            }
            if (lastPending is not null)
            {
                // Reading pending entries from an id onwards: continue after the last one, not from the start.
                position = lastPending;
            }
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
        try
        {
            var outcome = await target.Policies.RunAsync(target.Policy, async attemptToken =>
            {
                attempts++;
                var result = await PostAsync(target, route, body, attemptToken);
                target.Deliveries.Add(new Delivery(target.Subscription.Topic, route, result, attempts));
                target.Log.LogInformation("Delivery {Attempt} of an event on {Topic} to {Route}: {Outcome}", attempts, target.Subscription.Topic, route, result);
                return result == DeliveryOutcome.Retry ? throw new DeliveryRetryException() : result;
            }, isPermanent: null, cancellationToken);
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

    private static async Task<DeliveryOutcome> PostAsync(DeliveryTarget target, string route, byte[] body, CancellationToken cancellationToken)
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
                return DeliveryOutcome.Drop; // daprd logs and drops on 404.
            }
            if (!response.IsSuccessStatusCode)
            {
                return DeliveryOutcome.Retry;
            }
            var text = await response.Content.ReadAsStringAsync(cancellationToken);
            if (string.IsNullOrWhiteSpace(text))
            {
                return DeliveryOutcome.Success;
            }
            try
            {
                using var answer = JsonDocument.Parse(text);
                var status = answer.RootElement.ValueKind == JsonValueKind.Object && answer.RootElement.TryGetProperty("status", out var s)
                    ? s.GetString()?.ToUpperInvariant() : null;
                return status switch
                {
                    "RETRY" => DeliveryOutcome.Retry,
                    "DROP" => DeliveryOutcome.Drop,
                    _ => DeliveryOutcome.Success,
                };
            }
            catch (JsonException)
            {
                return DeliveryOutcome.Success;
            }
        }
        catch (HttpRequestException)
        {
            return DeliveryOutcome.Retry;
        }
    }
}

public enum DeliveryOutcome { Success, Retry, Drop }

public sealed record Delivery(string Topic, string Route, DeliveryOutcome Outcome, int Attempt);

public sealed record DeliveryTarget(
    string AppId,
    string ConsumerName,
    Uri AppAddress,
    Subscription Subscription,
    ResiliencyRunner Policies,
    PolicyDefinition Policy,
    TimeSpan RedeliverInterval,
    HttpClient Http,
    string? AppApiToken,
    ILogger Log,
    System.Collections.Concurrent.ConcurrentBag<Delivery> Deliveries);
