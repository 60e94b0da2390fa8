using System.Text.Json;

namespace Kmrl.Dapr.Contract.Tests;

/// <summary>
/// pubsub.redis delivery with a dead-letter topic: an app's DROP sends the event to the dead-letter topic when the
/// subscription has one (dapr v1.16.19 pkg/runtime/subscription/subscription.go: ErrMessageDropped →
/// sendToDeadLetter), carrying the original CloudEvent's data. An event published before daprd has subscribed is
/// still delivered: pubsub.redis creates its consumer group from the stream's start (XGROUP CREATE ... 0 MKSTREAM).
/// </summary>
[Collection(ContractCollection.Name)]
public sealed class PubSubContractTests(ContractTarget target)
{
    [Fact]
    public async Task A_dropped_event_goes_to_the_dead_letter_topic()
    {
        var marker = ContractTarget.Unique("drop");

        await target.Client.PublishEventAsync(ContractApp.PubSub, ContractApp.DropTopic, new { marker });
        var deadLettered = await EventuallyAsync(() => target.Received.DeadLetters.FirstOrDefault(d => d.Contains(marker, StringComparison.Ordinal)));

        Assert.NotNull(deadLettered);
        Assert.Contains(target.Received.Dropped, d => d.Contains(marker, StringComparison.Ordinal));
        Assert.Equal(marker, JsonDocument.Parse(deadLettered).RootElement.GetProperty("marker").GetString());
    }

    private static async Task<string?> EventuallyAsync(Func<string?> probe)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            if (probe() is { } found)
            {
                return found;
            }
            await Task.Delay(100);
        }
        return probe();
    }
}
