using Dapr.Client;
using Dapr;
using Kmrl.Contracts;

namespace Kmrl.Connectors.WhatsApp.Pending;

/// <summary>
/// Pending media in the Dapr state store: one key per message (<c>whatsapp-media|{wamid}</c>) and an index key
/// listing the pending ids, because a key-value store cannot be listed. The index is updated with ETags.
/// </summary>
public sealed class DaprPendingMediaStore(DaprClient dapr, ILogger<DaprPendingMediaStore> logger) : IPendingMediaStore
{
    private const string Store = DaprNames.Components.StateStore;
    private const string IndexKey = "whatsapp-media-pending-index";
    private const int IndexRetries = 30;

    private static string KeyOf(string messageId) => "whatsapp-media|" + messageId;

    public async Task<bool> AddAsync(PendingMedia media, CancellationToken cancellationToken)
    {
        var key = KeyOf(media.MessageId);
        var existing = await dapr.GetStateAsync<PendingMediaEntry?>(Store, key, cancellationToken: cancellationToken);
        var created = false;
        if (existing is null)
        {
            try
            {
                // First-write concurrency: a concurrent duplicate delivery loses instead of overwriting.
                await dapr.SaveStateAsync(Store, key, new PendingMediaEntry(media, PendingMediaStatus.Pending),
                    new StateOptions { Concurrency = ConcurrencyMode.FirstWrite }, cancellationToken: cancellationToken);
                created = true;
            }
            catch (DaprException exception)
            {
                logger.LogInformation(exception, "Pending media {MessageId} was written concurrently; keeping the first write", media.MessageId);
            }
        }
        // Also on duplicates: a crash between the two writes must not leave a pending entry out of the index.
        if (created || existing?.Status == PendingMediaStatus.Pending)
        {
            await UpdateIndexAsync(ids => ids.Add(media.MessageId), cancellationToken);
        }
        return created;
    }

    public async Task<IReadOnlyList<PendingMediaEntry>> ListPendingAsync(CancellationToken cancellationToken)
    {
        var ids = await dapr.GetStateAsync<List<string>?>(Store, IndexKey, cancellationToken: cancellationToken) ?? [];
        if (ids.Count == 0)
        {
            return [];
        }
        var items = await dapr.GetBulkStateAsync<PendingMediaEntry?>(Store, ids.Select(KeyOf).ToList(), parallelism: 4,
            cancellationToken: cancellationToken);
        return items.Select(i => i.Value)
            .OfType<PendingMediaEntry>()
            .Where(e => e.Status == PendingMediaStatus.Pending)
            .OrderBy(e => e.Media.Timestamp)
            .ToList();
    }

    public Task<PendingMediaEntry?> GetAsync(string messageId, CancellationToken cancellationToken) =>
        dapr.GetStateAsync<PendingMediaEntry?>(Store, KeyOf(messageId), cancellationToken: cancellationToken);

    public Task RecordAttemptAsync(string messageId, string? error, CancellationToken cancellationToken) =>
        UpdateEntryAsync(messageId, e => e with { Attempts = e.Attempts + 1, LastError = error ?? e.LastError }, cancellationToken);

    public async Task MarkDoneAsync(string messageId, CancellationToken cancellationToken)
    {
        await UpdateEntryAsync(messageId, e => e with { Status = PendingMediaStatus.Done }, cancellationToken);
        await UpdateIndexAsync(ids => ids.Remove(messageId), cancellationToken);
    }

    public async Task MarkDeadLetteredAsync(string messageId, string reason, CancellationToken cancellationToken)
    {
        await UpdateEntryAsync(messageId, e => e with { Status = PendingMediaStatus.DeadLettered, DeadLetterReason = reason }, cancellationToken);
        await UpdateIndexAsync(ids => ids.Remove(messageId), cancellationToken);
    }

    private async Task UpdateEntryAsync(string messageId, Func<PendingMediaEntry, PendingMediaEntry> change, CancellationToken cancellationToken)
    {
        var key = KeyOf(messageId);
        for (var attempt = 0; attempt < IndexRetries; attempt++)
        {
            var (entry, etag) = await dapr.GetStateAndETagAsync<PendingMediaEntry?>(Store, key, cancellationToken: cancellationToken);
            if (entry is null)
            {
                return;
            }
            if (await dapr.TrySaveStateAsync(Store, key, change(entry), etag, cancellationToken: cancellationToken))
            {
                return;
            }
        }
        throw new InvalidOperationException($"Pending media {messageId} kept changing; giving up the update.");
    }

    private async Task UpdateIndexAsync(Func<HashSet<string>, bool> change, CancellationToken cancellationToken)
    {
        for (var attempt = 0; attempt < IndexRetries; attempt++)
        {
            var (ids, etag) = await dapr.GetStateAndETagAsync<List<string>?>(Store, IndexKey, cancellationToken: cancellationToken);
            var set = new HashSet<string>(ids ?? [], StringComparer.Ordinal);
            if (!change(set))
            {
                return;
            }
            var list = set.Order(StringComparer.Ordinal).ToList();
            if (string.IsNullOrEmpty(etag))
            {
                try
                {
                    // The index does not exist yet: create it, unless a concurrent writer just did.
                    await dapr.SaveStateAsync(Store, IndexKey, list, new StateOptions { Concurrency = ConcurrencyMode.FirstWrite },
                        cancellationToken: cancellationToken);
                    return;
                }
                catch (DaprException exception)
                {
                    logger.LogDebug(exception, "The pending media index was created concurrently; retrying the update");
                }
            }
            else if (await dapr.TrySaveStateAsync(Store, IndexKey, list, etag, cancellationToken: cancellationToken))
            {
                return;
            }
            // Contention (a webhook burst): back off a little, with jitter, before reading the index again.
            await Task.Delay(TimeSpan.FromMilliseconds(Random.Shared.Next(5, 20 * (attempt + 1))), cancellationToken);
        }
        throw new InvalidOperationException("The pending media index kept changing; giving up the update.");
    }
}
