using System.Runtime.CompilerServices;
using System.Text.Json;
using Kmrl.Connectors.Hosting;
using Kmrl.Connectors.Ports;
using Kmrl.ServiceDefaults;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Kmrl.Connectors.Sync;

/// <summary>A source the host drains from an inbox; replaying one of its dead letters puts the item back in.</summary>
internal interface IInboxDrain
{
    string Name { get; }
}

/// <summary>
/// An <see cref="IInboxSource{TItem}"/> seen as an ordinary <see cref="IDocumentSource"/>, so the one runner drains it:
/// each pending item becomes the source's change, followed by a checkpoint whose after-commit step completes the
/// item. The checkpoint value only records the last item (for the status page); the inbox is the truth. An item is
/// completed only after the checkpoint behind it is stored, so a crash before then reads it again.
/// </summary>
internal sealed class InboxDocumentSource<TItem>(
    IInboxSource<TItem> source,
    IInboxStore inbox,
    IOptions<ConnectorHostOptions> options,
    ILogger<InboxDocumentSource<TItem>> logger) : IDocumentSource, IInboxDrain where TItem : class
{
    /// <summary>Items one run reads at most; the rest wait for the next run (the next webhook's, or the cron sweeper's).</summary>
    public const int PageSize = 500;

    public string Name => source.Name;

    public async IAsyncEnumerable<SourceChange> ReadChangesAsync(string? checkpoint, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var connector = options.Value.ConnectorName;
        var pending = await inbox.ListPendingAsync(connector, Name, PageSize, cancellationToken);
        foreach (var entry in pending)
        {
            yield return ReadEntry(entry);
            var id = entry.Id;
            yield return Checkpoints.Of(new InboxCheckpoint(id, entry.EnqueuedAt), ct => inbox.CompleteAsync(connector, Name, id, ct));
        }
    }

    private SourceChange ReadEntry(InboxEntry entry)
    {
        TItem? item;
        try
        {
            item = entry.Item.Deserialize<TItem>(KmrlJson.Options);
        }
        catch (JsonException exception)
        {
            logger.LogWarning(exception, "Inbox item {ItemId} of {Source} is not a readable {ItemType}", entry.Id, Name, typeof(TItem).Name);
            item = null;
        }
        return item is null
            ? new SourceUnreadable(entry.Id, $"The inbox item is not a readable {typeof(TItem).Name}.", 1, new Dictionary<string, string>())
            : source.Read(new InboxItem<TItem>(entry.Id, item, entry.EnqueuedAt));
    }

    private sealed record InboxCheckpoint(string LastItemId, DateTimeOffset LastEnqueuedAt);
}

/// <summary>The webhook's side of the inbox: store the item, then ask for a sync of its source.</summary>
internal sealed class SourceInbox(IInboxStore inbox, ISyncRequests syncRequests, IOptions<ConnectorHostOptions> options, TimeProvider timeProvider) : ISourceInbox
{
    public async Task<bool> EnqueueAsync<TItem>(string sourceName, string itemId, TItem item, CancellationToken cancellationToken) where TItem : class
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(sourceName);
        ArgumentException.ThrowIfNullOrWhiteSpace(itemId);
        var entry = new InboxEntry(itemId, JsonSerializer.SerializeToElement(item, KmrlJson.Options), timeProvider.GetUtcNow());
        var added = await inbox.TryAddAsync(options.Value.ConnectorName, sourceName, entry, cancellationToken);
        if (added)
        {
            syncRequests.Request(sourceName);
        }
        return added;
    }
}
