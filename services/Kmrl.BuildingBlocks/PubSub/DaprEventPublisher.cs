using Dapr.Client;
using Kmrl.Contracts;

namespace Kmrl.BuildingBlocks.PubSub;

/// <summary>Publishes on <see cref="DaprNames.Components.PubSub"/> (as a CloudEvent, JSON from the client's shared options).</summary>
public sealed class DaprEventPublisher(DaprClient dapr) : IEventPublisher
{
    public Task PublishAsync<TEvent>(string topic, TEvent integrationEvent, CancellationToken cancellationToken) where TEvent : class =>
        dapr.PublishEventAsync(DaprNames.Components.PubSub, topic, integrationEvent, cancellationToken);
}
