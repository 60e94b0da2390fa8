using Kmrl.BuildingBlocks.PubSub;
using Kmrl.Contracts;
using Kmrl.DocumentApi.Ports;

namespace Kmrl.DocumentApi.Adapters;

/// <summary>
/// The staff pages' and the API's acknowledgements: recorded in the state store (the first stands), then announced as
/// <see cref="DeadlineAcknowledged"/> so notifications stops the reminders. The one that stands is announced, also when
/// it was recorded before: a publish that failed after the record was written is repaired by the next click, and
/// notifications applies an acknowledgement once however often it arrives.
/// </summary>
public sealed class AnnouncedDeadlineAcknowledgements(StateStoreStaffRecords records, IEventPublisher events) : IDeadlineAcknowledgements
{
    public async Task<DeadlineAcknowledgement> AcknowledgeAsync(DeadlineAcknowledgement acknowledgement, CancellationToken cancellationToken)
    {
        var standing = await records.AcknowledgeAsync(acknowledgement with { Via = acknowledgement.Via ?? DeadlineAcknowledged.ViaStaff }, cancellationToken);
        await events.PublishAsync(DaprNames.Topics.DeadlineAcknowledged, new DeadlineAcknowledged(
            standing.DocumentId, standing.Deadline, standing.By, standing.Via ?? DeadlineAcknowledged.ViaStaff, standing.At), cancellationToken);
        return standing;
    }

    public Task<IReadOnlyList<DeadlineAcknowledgement>> ForAsync(string documentId, IReadOnlyList<DateOnly> deadlines, CancellationToken cancellationToken) =>
        records.ForAsync(documentId, deadlines, cancellationToken);
}
