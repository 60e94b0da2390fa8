using Dapr.Client;
using Kmrl.Contracts;
using Kmrl.Notifications.Ports;

namespace Kmrl.Notifications.Adapters;

public sealed class DaprDeadlineEvents(DaprClient dapr) : IDeadlineEvents
{
    public Task PublishAcknowledgedAsync(DeadlineAcknowledged acknowledged, CancellationToken cancellationToken) =>
        dapr.PublishEventAsync(DaprNames.Components.PubSub, DaprNames.Topics.DeadlineAcknowledged, acknowledged, cancellationToken);
}
