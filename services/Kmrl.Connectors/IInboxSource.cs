namespace Kmrl.Connectors;

/// <summary>
/// A push source: the system calls us (a webhook) and cannot be asked again later what it sent, so what it sent is
/// kept in the host's inbox (<see cref="ISourceInbox"/>) and the host drains the inbox with the same runner as any
/// pull source: the same attempts (<c>MaxDocumentAttempts</c>), filters, claim check and dead letters. An item leaves
/// the inbox once the checkpoint after it is stored. Register with <c>AddInboxSource&lt;TSource, TItem&gt;()</c>.
/// </summary>
/// <typeparam name="TItem">What the webhook stored for one item (JSON in the shared shape).</typeparam>
public interface IInboxSource<TItem> where TItem : class
{
    /// <summary>Stable name of the source (checkpoint and inbox keys, the name <see cref="ISourceInbox"/> is called with).</summary>
    string Name { get; }

    /// <summary>
    /// What one inbox item is: a <see cref="SourceDocument"/> to hand on (its content is fetched in
    /// <see cref="SourceDocument.OpenContentAsync"/>, so fetch failures get the host's attempts), or a
    /// <see cref="SourceUnreadable"/> for an item that can never be read (media past its retention).
    /// </summary>
    SourceChange Read(InboxItem<TItem> item);
}

/// <summary>One item in a source's inbox.</summary>
/// <param name="Id">The item's id at the source (a WhatsApp wamid): the source id, and what makes redelivery harmless.</param>
public sealed record InboxItem<TItem>(string Id, TItem Item, DateTimeOffset EnqueuedAt) where TItem : class;

/// <summary>Where a push source's webhook leaves its items for the host to drain.</summary>
public interface ISourceInbox
{
    /// <summary>
    /// Stores <paramref name="item"/> for <paramref name="sourceName"/> unless an item with <paramref name="itemId"/>
    /// was ever stored for it, whatever became of that one (first write wins), so a redelivered webhook changes nothing;
    /// then asks for a sync. True when this call stored it. An exception means it may not be stored: answer the
    /// webhook with an error, so the sender delivers it again.
    /// </summary>
    Task<bool> EnqueueAsync<TItem>(string sourceName, string itemId, TItem item, CancellationToken cancellationToken) where TItem : class;
}
