using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Kmrl.BuildingBlocks.State;
using Kmrl.DocumentApi.Ports;

namespace Kmrl.DocumentApi.Adapters;

/// <summary>
/// Acknowledgements and inbox visits in the catalog's state store. An acknowledgement is one key per document and
/// deadline, written only if absent: the first acknowledgement stands and a second click changes nothing, with no
/// read-modify-write. A visit is last-writer-wins: losing one only shows an item as new once more.
/// </summary>
public sealed class StateStoreStaffRecords(IStateStore store) : IDeadlineAcknowledgements, IInboxVisits
{
    public static string AcknowledgementKey(string documentId, DateOnly deadline) =>
        $"deadline-ack:{documentId}:{deadline.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)}";

    public static string VisitKey(string person, string department) =>
        "inbox-visit:" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(person + "\n" + department)))[..32];

    public async Task<DeadlineAcknowledgement> AcknowledgeAsync(DeadlineAcknowledgement acknowledgement, CancellationToken cancellationToken)
    {
        var key = AcknowledgementKey(acknowledgement.DocumentId, acknowledgement.Deadline);
        if (await store.TrySaveAsync(key, acknowledgement, etag: null, cancellationToken))
        {
            return acknowledgement;
        }
        return (await store.GetAsync<DeadlineAcknowledgement>(key, cancellationToken))?.Value ?? acknowledgement;
    }

    public async Task<IReadOnlyList<DeadlineAcknowledgement>> ForAsync(string documentId, IReadOnlyList<DateOnly> deadlines, CancellationToken cancellationToken) =>
        deadlines.Count == 0 ? [] : await store.GetManyAsync<DeadlineAcknowledgement>(deadlines.Select(d => AcknowledgementKey(documentId, d)).ToList(), cancellationToken);

    public async Task<DateTimeOffset?> LastVisitAsync(string person, string department, CancellationToken cancellationToken) =>
        (await store.GetAsync<InboxVisit>(VisitKey(person, department), cancellationToken))?.Value.At;

    public async Task RecordVisitAsync(string person, string department, DateTimeOffset at, CancellationToken cancellationToken)
    {
        var key = VisitKey(person, department);
        var current = await store.GetAsync<InboxVisit>(key, cancellationToken);
        await store.TrySaveAsync(key, new InboxVisit(at), current?.ETag, cancellationToken);
    }

    private sealed record InboxVisit(DateTimeOffset At);
}
