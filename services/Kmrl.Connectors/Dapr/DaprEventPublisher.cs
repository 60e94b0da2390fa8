using Dapr.Client;
using Kmrl.Connectors.Ports;
using Kmrl.Contracts;

namespace Kmrl.Connectors.Dapr;

/// <summary>Publishes on <see cref="DaprNames.Components.PubSub"/> (as a CloudEvent, JSON from the shared options).</summary>
internal sealed class DaprEventPublisher(DaprClient daprClient) : IEventPublisher
{
    public Task PublishAsync<TEvent>(string topic, TEvent integrationEvent, CancellationToken cancellationToken) where TEvent : class =>
        daprClient.PublishEventAsync(DaprNames.Components.PubSub, topic, integrationEvent, cancellationToken);
}
