using Dapr.Client;
using Kmrl.Connectors.Ports;
using Kmrl.Contracts;

namespace Kmrl.Connectors.Dapr;

/// <summary>Rejected and dead-lettered items in <see cref="DaprNames.Components.StateStore"/>, one key per item.</summary>
internal sealed class DaprSkippedItemStore(DaprClient daprClient) : ISkippedItemStore
{
    public Task RecordRejectedAsync(RejectedItem item, CancellationToken cancellationToken) =>
        daprClient.SaveStateAsync(
            DaprNames.Components.StateStore, StateKeys.Rejected(item.Connector, item.Source, item.SourceId), item, cancellationToken: cancellationToken);

    public Task RecordDeadLetterAsync(DeadLetteredItem item, CancellationToken cancellationToken) =>
        daprClient.SaveStateAsync(
            DaprNames.Components.StateStore, StateKeys.DeadLetter(item.Connector, item.Source, item.SourceId), item, cancellationToken: cancellationToken);
}
