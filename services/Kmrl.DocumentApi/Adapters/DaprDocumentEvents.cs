using Dapr.Client;
using Kmrl.Contracts;
using Kmrl.DocumentApi.Ports;

namespace Kmrl.DocumentApi.Adapters;

public sealed class DaprDocumentEvents(DaprClient dapr) : IDocumentEvents
{
    public Task PublishAsync<TEvent>(string topic, TEvent integrationEvent, CancellationToken cancellationToken) where TEvent : class =>
        dapr.PublishEventAsync(DaprNames.Components.PubSub, topic, integrationEvent, cancellationToken);
}
