namespace Kmrl.BuildingBlocks.PubSub;

/// <summary>
/// Hands an integration event on to its topic (Dapr pub/sub in production). At least once: subscribers dedupe, by
/// document id or by the event's own id.
/// </summary>
public interface IEventPublisher
{
    Task PublishAsync<TEvent>(string topic, TEvent integrationEvent, CancellationToken cancellationToken) where TEvent : class;
}
