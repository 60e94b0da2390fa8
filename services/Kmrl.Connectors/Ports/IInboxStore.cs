using System.Text.Json;

namespace Kmrl.Connectors.Ports;

/// <summary>
/// The inboxes of push sources (the state store in production). An item's record stays after it is completed, so a
/// late redelivery is still recognised as a duplicate.
/// </summary>
public interface IInboxStore
{
    /// <summary>Adds <paramref name="entry"/> unless its id was ever added for this source; true when added now.</summary>
    Task<bool> TryAddAsync(string connector, string source, InboxEntry entry, CancellationToken cancellationToken);

    /// <summary>Entries not completed yet, oldest first, at most <paramref name="max"/>.</summary>
    Task<IReadOnlyList<InboxEntry>> ListPendingAsync(string connector, string source, int max, CancellationToken cancellationToken);

    /// <summary>Takes the item out of the pending list (its checkpoint is stored: handed on, rejected or dead-lettered).</summary>
    Task CompleteAsync(string connector, string source, string itemId, CancellationToken cancellationToken);

    /// <summary>Puts a completed item back in the pending list (an operator replays its dead letter); false when there is no such item.</summary>
    Task<bool> ReopenAsync(string connector, string source, string itemId, CancellationToken cancellationToken);
}

/// <summary>One inbox item as stored: the source's own record as JSON.</summary>
public sealed record InboxEntry(string Id, JsonElement Item, DateTimeOffset EnqueuedAt);
