namespace Kmrl.Connectors.Ports;

/// <summary>Hands an integration event on (Dapr pub/sub in production).</summary>
public interface IEventPublisher
{
    Task PublishAsync<TEvent>(string topic, TEvent integrationEvent, CancellationToken cancellationToken) where TEvent : class;
}
