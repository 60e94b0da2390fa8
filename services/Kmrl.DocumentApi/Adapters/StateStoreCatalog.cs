using System.Globalization;
using Kmrl.BuildingBlocks.State;
using Kmrl.Contracts;
using Kmrl.DocumentApi.Model;
using Kmrl.DocumentApi.Ports;

namespace Kmrl.DocumentApi.Adapters;

/// <summary>One entry of a day index: enough to filter a listing without reading every record.</summary>
public sealed record CatalogIndexEntry(
    string DocumentId,
    IReadOnlyList<string> Sources,
    IReadOnlyList<string> Departments,
    string? DocumentType,
    DocumentStatus Status,
    DateTimeOffset CreatedAt);

public sealed record CatalogDayIndex(IReadOnlyList<CatalogIndexEntry> Entries);

public sealed record CatalogIdList(IReadOnlyList<string> Ids);

/// <summary>
/// The catalog over a key/value store, written one key at a time: the record (<c>doc:</c>), then its indexes, the
/// SHA-256 owner (<c>sha:</c>, dedupe), the source-item list (<c>src:</c>, removals) and a per-day index
/// (<c>day:</c>, listings). No write relies on another key being written with it: state.redis runs a transaction
/// key by key without rollback and reports any failure as Internal (components-contrib state/redis/redis.go
/// <c>Multi</c>, dapr pkg/api/grpc/grpc.go <c>ExecuteStateTransaction</c>), so a transaction could neither be trusted
/// to be all-or-nothing nor be told apart from a conflict. Instead:
/// <list type="bullet">
/// <item>every key changes by read, change, write-with-the-ETag-read, and a lost race re-reads and tries again;</item>
/// <item>the record goes first and the index updates after it are idempotent, each rebuilt from the record as it is
/// when the index key is read, so a writer that crashed in between is completed by the next write of that document
/// (activities are retried), and concurrent writers leave the index matching the newest record;</item>
/// <item>listings check the records they return against the query, so an index entry a crash left stale filters
/// nothing in.</item>
/// </list>
/// The day index is split into <see cref="DayIndexShards"/> keys by document id: as one key it was rewritten by every
/// catalog write of the day, so concurrent writers kept conflicting (bench P1: writes gave up after eight attempts
/// under 32 uploaders) and each write grew with the day's count (bench P6). Source ids and dead-letter ids come from
/// outside and are hashed into their keys: Dapr refuses keys containing its separator "||".
/// </summary>
public sealed class StateStoreCatalog(IStateStore store, TimeProvider time) : ICatalog
{
    // A lost race means another writer's change went in, so writers always progress; the bound only stops a store
    // that keeps refusing. 32 writers on one key finish in well under this many rounds.
    private const int MaxAttempts = 64;
    private const int MaxQueryDays = 366;
    public const int DayIndexShards = 16;

    public static string DocumentKey(string id) => "doc:" + id;
    public static string ShaKey(string sha256) => "sha:" + sha256.ToLowerInvariant();
    public static string SourceKey(string source, string sourceId) => $"src:{Hash(source)}:{Hash(sourceId)}";
    /// <summary>The day-index shard that lists <paramref name="documentId"/>: stable across processes (FNV-1a, not string.GetHashCode).</summary>
    public static string DayKey(DateOnly day, string documentId) => DayShardKey(day, (int)(Fnv1a(documentId) % DayIndexShards));

    public static IReadOnlyList<string> DayKeys(DateOnly day) =>
        Enumerable.Range(0, DayIndexShards).Select(shard => DayShardKey(day, shard)).ToList();

    private static string DayShardKey(DateOnly day, int shard) =>
        $"day:{day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)}:{shard.ToString("x2", CultureInfo.InvariantCulture)}";
    public static string DeadLetterKey(string id) => "deadletter:" + Hash(id);
    public const string DeadLetterListKey = "deadletters";
    public static string AcceptedKey(string documentId) => "accepted:" + documentId;
    public static string InFlightKey(string documentId) => "inflight:" + documentId;
    /// <summary>The in-flight index shard that lists <paramref name="documentId"/> (sharded as the day index, for the same reason).</summary>
    public static string InFlightIndexKey(string documentId) => InFlightShardKey((int)(Fnv1a(documentId) % DayIndexShards));

    private static string InFlightShardKey(int shard) => "inflight-index:" + shard.ToString("x2", CultureInfo.InvariantCulture);

    public async Task<DocumentRecord?> GetAsync(string documentId, CancellationToken cancellationToken) =>
        (await store.GetAsync<DocumentRecord>(DocumentKey(documentId), cancellationToken))?.Value;

    public async Task<string?> FindBySha256Async(string sha256, CancellationToken cancellationToken) =>
        (await store.GetAsync<string>(ShaKey(sha256), cancellationToken))?.Value;

    public async Task SaveAsync(DocumentRecord record, CancellationToken cancellationToken)
    {
        var (saved, _) = await UpdateAsync<DocumentRecord>(DocumentKey(record.DocumentId),
            existing => Task.FromResult<DocumentRecord?>(Merge(existing, record)), cancellationToken);
        await IndexAsync(saved!, cancellationToken);
    }

    public async Task<DocumentRecord?> AddProvenanceAsync(string documentId, Provenance provenance, CancellationToken cancellationToken)
    {
        var (record, _) = await UpdateAsync<DocumentRecord>(DocumentKey(documentId), existing =>
            Task.FromResult(existing is null || existing.Provenance.Any(p => p.IsSame(provenance.Source, provenance.SourceId))
                ? null // no record, or already there: a retried activity must not add it twice
                : existing with { Provenance = [.. existing.Provenance, provenance], UpdatedAt = time.GetUtcNow() }),
            cancellationToken);
        if (record is not null)
        {
            // Also when the provenance was already there: a retry after a crash completes the indexes.
            await IndexAsync(record, cancellationToken);
        }
        return record;
    }

    public async Task<IReadOnlyList<DocumentRecord>> MarkRemovedAtSourceAsync(
        string source, string sourceId, string reason, DateTimeOffset removedAt, CancellationToken cancellationToken)
    {
        var ids = (await store.GetAsync<CatalogIdList>(SourceKey(source, sourceId), cancellationToken))?.Value.Ids ?? [];
        var touched = new List<DocumentRecord>();
        foreach (var id in ids)
        {
            var (updated, written) = await UpdateAsync<DocumentRecord>(DocumentKey(id), existing =>
                Task.FromResult(existing is null || !existing.Provenance.Any(p => p.IsSame(source, sourceId) && p.RemovedAt is null)
                    ? null // already marked: redelivery changes nothing
                    : existing with
                    {
                        Provenance = existing.Provenance
                            .Select(p => p.IsSame(source, sourceId) && p.RemovedAt is null ? p with { RemovedAt = removedAt, RemovalReason = reason } : p)
                            .ToList(),
                        UpdatedAt = time.GetUtcNow(),
                    }),
                cancellationToken);
            if (written)
            {
                touched.Add(updated!);
            }
        }
        return touched;
    }

    public async Task<DocumentPage> QueryAsync(DocumentQuery query, CancellationToken cancellationToken)
    {
        var to = query.To;
        var from = query.From < to.AddDays(-(MaxQueryDays - 1)) ? to.AddDays(-(MaxQueryDays - 1)) : query.From;
        var skip = (query.Page - 1) * query.PageSize;
        var ids = new List<string>();
        for (var day = to; day >= from && ids.Count <= skip + query.PageSize; day = day.AddDays(-1))
        {
            var shards = await store.GetManyAsync<CatalogDayIndex>(DayKeys(day), cancellationToken);
            ids.AddRange(shards.SelectMany(shard => shard.Entries)
                .Where(e => Matches(e, query))
                .OrderByDescending(e => e.CreatedAt)
                .Select(e => e.DocumentId)
                .Distinct(StringComparer.Ordinal));
        }
        var pageIds = ids.Skip(skip).Take(query.PageSize).ToList();
        var records = await store.GetManyAsync<DocumentRecord>(pageIds.Select(DocumentKey).ToList(), cancellationToken);
        // The record is the truth: an entry a crash left behind the record does not bring in a document that no longer matches.
        var matching = records.Where(r => Matches(EntryOf(r), query)).ToList();
        return new DocumentPage(matching, query.Page, query.PageSize, ids.Count > skip + query.PageSize);
    }

    public async Task SaveDeadLetterAsync(DeadLetter deadLetter, CancellationToken cancellationToken)
    {
        await UpdateAsync<DeadLetter>(DeadLetterKey(deadLetter.Id), _ => Task.FromResult<DeadLetter?>(deadLetter), cancellationToken);
        await UpdateAsync<CatalogIdList>(DeadLetterListKey, list =>
            Task.FromResult(list is not null && list.Ids.Contains(deadLetter.Id) ? null : new CatalogIdList([.. list?.Ids ?? [], deadLetter.Id])),
            cancellationToken);
    }

    public async Task<IReadOnlyList<DeadLetter>> ListDeadLettersAsync(CancellationToken cancellationToken)
    {
        var ids = (await store.GetAsync<CatalogIdList>(DeadLetterListKey, cancellationToken))?.Value.Ids ?? [];
        return await store.GetManyAsync<DeadLetter>(ids.Select(DeadLetterKey).ToList(), cancellationToken);
    }

    public async Task<DeadLetter?> GetDeadLetterAsync(string id, CancellationToken cancellationToken) =>
        (await store.GetAsync<DeadLetter>(DeadLetterKey(id), cancellationToken))?.Value;

    public async Task DeleteDeadLetterAsync(string id, CancellationToken cancellationToken)
    {
        // The record first: a listed id without a record is skipped, a record without its id would never be listed again.
        await store.DeleteAsync(DeadLetterKey(id), cancellationToken);
        await UpdateAsync<CatalogIdList>(DeadLetterListKey, list =>
            Task.FromResult(list is null || !list.Ids.Contains(id) ? null : new CatalogIdList(list.Ids.Where(i => i != id).ToList())),
            cancellationToken);
    }

    public async Task SaveAcceptedAsync(AcceptedDocument accepted, CancellationToken cancellationToken) =>
        // Written only while absent: the id is new per upload, so a lost race is a retry of the same note.
        await store.TrySaveAsync(AcceptedKey(accepted.DocumentId), accepted, etag: null, cancellationToken);

    public async Task<AcceptedDocument?> GetAcceptedAsync(string documentId, CancellationToken cancellationToken) =>
        (await store.GetAsync<AcceptedDocument>(AcceptedKey(documentId), cancellationToken))?.Value;

    public async Task NoteInFlightAsync(DocumentIntake intake, CancellationToken cancellationToken)
    {
        var id = intake.DocumentId;
        // The intake before the index entry: an id listed without its intake would have nothing to schedule.
        await store.TrySaveAsync(InFlightKey(id), intake, etag: null, cancellationToken);
        await UpdateAsync<CatalogIdList>(InFlightIndexKey(id), list =>
            Task.FromResult(list is not null && list.Ids.Contains(id) ? null : new CatalogIdList([.. list?.Ids ?? [], id])),
            cancellationToken);
    }

    public async Task<IReadOnlyList<DocumentIntake>> ListInFlightAsync(int max, CancellationToken cancellationToken)
    {
        var shards = await store.GetManyAsync<CatalogIdList>(
            Enumerable.Range(0, DayIndexShards).Select(InFlightShardKey).ToList(), cancellationToken);
        var ids = shards.SelectMany(shard => shard.Ids).Distinct(StringComparer.Ordinal).Take(max).ToList();
        return await store.GetManyAsync<DocumentIntake>(ids.Select(InFlightKey).ToList(), cancellationToken);
    }

    public async Task ForgetInFlightAsync(string documentId, CancellationToken cancellationToken)
    {
        // The index entry first: an intake left behind unlisted is never read again; a listed id without one is skipped.
        await UpdateAsync<CatalogIdList>(InFlightIndexKey(documentId), list =>
            Task.FromResult(list is null || !list.Ids.Contains(documentId) ? null : new CatalogIdList(list.Ids.Where(i => i != documentId).ToList())),
            cancellationToken);
        await store.DeleteAsync(InFlightKey(documentId), cancellationToken);
    }

    /// <summary>The record's index entries, each brought up to the record as it is when the index key is read.</summary>
    private async Task IndexAsync(DocumentRecord record, CancellationToken cancellationToken)
    {
        if (record.Status == DocumentStatus.Duplicate)
        {
            return; // duplicates are aliases: their provenance lives on the original, so they carry no indexes
        }
        var id = record.DocumentId;
        // The first record to claim a hash keeps it, unless that record is gone.
        await UpdateAsync<string>(ShaKey(record.Sha256), async owner =>
            owner == id || (owner is not null && await store.GetAsync<DocumentRecord>(DocumentKey(owner), cancellationToken) is not null) ? null : id,
            cancellationToken);
        foreach (var p in record.Provenance.DistinctBy(p => (p.Source, p.SourceId)))
        {
            await UpdateAsync<CatalogIdList>(SourceKey(p.Source, p.SourceId), list =>
                Task.FromResult(list is not null && list.Ids.Contains(id) ? null : new CatalogIdList([.. list?.Ids ?? [], id])),
                cancellationToken);
        }
        await UpdateAsync<CatalogDayIndex>(DayKey(DateOnly.FromDateTime(record.CreatedAt.UtcDateTime), id), async day =>
        {
            var current = (await store.GetAsync<DocumentRecord>(DocumentKey(id), cancellationToken))?.Value ?? record;
            var entry = EntryOf(current);
            var entries = day?.Entries ?? [];
            if (entries.Any(e => Same(e, entry)))
            {
                return null;
            }
            return new CatalogDayIndex([.. entries.Where(e => e.DocumentId != id), entry]);
        }, cancellationToken);
    }

    /// <summary>The one optimistic update (<see cref="StateStoreUpdates"/>), bounded by the catalog's <see cref="MaxAttempts"/>.</summary>
    private Task<(T? Value, bool Written)> UpdateAsync<T>(string key, Func<T?, Task<T?>> change, CancellationToken cancellationToken)
        where T : class => store.UpdateAsync(key, change, MaxAttempts, cancellationToken);

    private static CatalogIndexEntry EntryOf(DocumentRecord record) => new(
        record.DocumentId,
        record.Provenance.Select(p => p.Source).Distinct(StringComparer.Ordinal).ToList(),
        record.Departments,
        record.DocumentType,
        record.Status,
        record.CreatedAt);

    private static bool Same(CatalogIndexEntry a, CatalogIndexEntry b) =>
        a.DocumentId == b.DocumentId && a.DocumentType == b.DocumentType && a.Status == b.Status && a.CreatedAt == b.CreatedAt
        && a.Sources.SequenceEqual(b.Sources) && a.Departments.SequenceEqual(b.Departments);

    private static bool Matches(CatalogIndexEntry entry, DocumentQuery query) =>
        (query.Source is null || entry.Sources.Contains(query.Source, StringComparer.OrdinalIgnoreCase))
        && (query.Department is null || entry.Departments.Contains(query.Department, StringComparer.OrdinalIgnoreCase))
        && (query.DocumentType is null || string.Equals(entry.DocumentType, query.DocumentType, StringComparison.OrdinalIgnoreCase))
        && (query.Status is null || entry.Status == query.Status);

    /// <summary>A new state of a record keeps what others added meanwhile: provenances and the creation time.</summary>
    private static DocumentRecord Merge(DocumentRecord? existing, DocumentRecord incoming)
    {
        if (existing is null) return incoming;
        var provenance = existing.Provenance.ToList();
        foreach (var p in incoming.Provenance.Where(p => !provenance.Any(e => e.IsSame(p.Source, p.SourceId))))
        {
            provenance.Add(p);
        }
        return incoming with { Provenance = provenance, CreatedAt = existing.CreatedAt };
    }

    // 128 bits of SHA-256, hex: any character is safe in a key and the length stays bounded (as the connectors' StateKeys).
    private static string Hash(string value) => StateKeyHash.Of(value);

    private static uint Fnv1a(string value)
    {
        var hash = 2166136261u;
        foreach (var c in value)
        {
            hash = (hash ^ c) * 16777619u;
        }
        return hash;
    }
}
