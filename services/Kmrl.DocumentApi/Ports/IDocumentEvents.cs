namespace Kmrl.DocumentApi.Ports;

/// <summary>Publishes integration events (pub/sub). At least once: subscribers dedupe by document id.</summary>
public interface IDocumentEvents
{
    Task PublishAsync<TEvent>(string topic, TEvent integrationEvent, CancellationToken cancellationToken) where TEvent : class;
}
