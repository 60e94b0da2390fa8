using System.Globalization;
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
/// The catalog over a key/value store. A record is written in one transaction with its indexes: the SHA-256 index
/// (dedupe), the source-item index (removals) and a per-day index (listings); ETags make concurrent writers retry
/// instead of losing each other's changes. The day index is split into <see cref="DayIndexShards"/> keys by document
/// id: as one key it was rewritten by every catalog write of the day, so concurrent writers kept conflicting (bench P1:
/// writes gave up after eight attempts under 32 uploaders) and each write grew with the day's count (bench P6).
/// </summary>
public sealed class StateStoreCatalog(IStateStore store, TimeProvider time) : ICatalog
{
    private const int MaxAttempts = 8;
    private const int MaxQueryDays = 366;
    public const int DayIndexShards = 16;

    public static string DocumentKey(string id) => "doc:" + id;
    public static string ShaKey(string sha256) => "sha:" + sha256.ToLowerInvariant();
    public static string SourceKey(string source, string sourceId) => $"src:{source}:{sourceId}";
    /// <summary>The day-index shard that lists <paramref name="documentId"/>: stable across processes (FNV-1a, not string.GetHashCode).</summary>
    public static string DayKey(DateOnly day, string documentId) => DayShardKey(day, (int)(Fnv1a(documentId) % DayIndexShards));

    public static IReadOnlyList<string> DayKeys(DateOnly day) =>
        Enumerable.Range(0, DayIndexShards).Select(shard => DayShardKey(day, shard)).ToList();

    private static string DayShardKey(DateOnly day, int shard) =>
        $"day:{day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)}:{shard.ToString("x2", CultureInfo.InvariantCulture)}";
    public static string DeadLetterKey(string id) => "deadletter:" + id;
    public const string DeadLetterListKey = "deadletters";

    public async Task<DocumentRecord?> GetAsync(string documentId, CancellationToken cancellationToken) =>
        (await store.GetAsync<DocumentRecord>(DocumentKey(documentId), cancellationToken))?.Value;

    public async Task<string?> FindBySha256Async(string sha256, CancellationToken cancellationToken) =>
        (await store.GetAsync<string>(ShaKey(sha256), cancellationToken))?.Value;

    public Task SaveAsync(DocumentRecord record, CancellationToken cancellationToken) =>
        RetryAsync(async () =>
        {
            var existing = await store.GetAsync<DocumentRecord>(DocumentKey(record.DocumentId), cancellationToken);
            var merged = Merge(existing?.Value, record);
            var writes = new List<StateWrite> { new(DocumentKey(merged.DocumentId), merged, existing?.ETag) };
            if (merged.Status != DocumentStatus.Duplicate)
            {
                // Duplicates are aliases: their provenance lives on the original, so they carry no indexes.
                writes.Add(new StateWrite(ShaKey(merged.Sha256), merged.DocumentId, null));
                await AddIndexWritesAsync(writes, merged, cancellationToken);
            }
            return await store.TryCommitAsync(writes, cancellationToken);
        });

    public async Task<DocumentRecord?> AddProvenanceAsync(string documentId, Provenance provenance, CancellationToken cancellationToken)
    {
        DocumentRecord? result = null;
        await RetryAsync(async () =>
        {
            var existing = await store.GetAsync<DocumentRecord>(DocumentKey(documentId), cancellationToken);
            if (existing is null)
            {
                result = null;
                return true;
            }
            if (existing.Value.Provenance.Any(p => p.IsSame(provenance.Source, provenance.SourceId)))
            {
                result = existing.Value; // already there: a retried activity must not add it twice
                return true;
            }
            var updated = existing.Value with
            {
                Provenance = [.. existing.Value.Provenance, provenance],
                UpdatedAt = time.GetUtcNow(),
            };
            var writes = new List<StateWrite> { new(DocumentKey(documentId), updated, existing.ETag) };
            await AddIndexWritesAsync(writes, updated, cancellationToken);
            result = updated;
            return await store.TryCommitAsync(writes, cancellationToken);
        });
        return result;
    }

    public async Task<IReadOnlyList<DocumentRecord>> MarkRemovedAtSourceAsync(
        string source, string sourceId, string reason, DateTimeOffset removedAt, CancellationToken cancellationToken)
    {
        var ids = (await store.GetAsync<CatalogIdList>(SourceKey(source, sourceId), cancellationToken))?.Value.Ids ?? [];
        var touched = new List<DocumentRecord>();
        foreach (var id in ids)
        {
            await RetryAsync(async () =>
            {
                var existing = await store.GetAsync<DocumentRecord>(DocumentKey(id), cancellationToken);
                if (existing is null || !existing.Value.Provenance.Any(p => p.IsSame(source, sourceId) && p.RemovedAt is null))
                {
                    return true; // already marked: redelivery changes nothing
                }
                var updated = existing.Value with
                {
                    Provenance = existing.Value.Provenance
                        .Select(p => p.IsSame(source, sourceId) && p.RemovedAt is null ? p with { RemovedAt = removedAt, RemovalReason = reason } : p)
                        .ToList(),
                    UpdatedAt = time.GetUtcNow(),
                };
                if (!await store.TryCommitAsync([new StateWrite(DocumentKey(id), updated, existing.ETag)], cancellationToken))
                {
                    return false;
                }
                touched.Add(updated);
                return true;
            });
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
                .Select(e => e.DocumentId));
        }
        var pageIds = ids.Skip(skip).Take(query.PageSize).ToList();
        var records = await store.GetManyAsync<DocumentRecord>(pageIds.Select(DocumentKey).ToList(), cancellationToken);
        return new DocumentPage(records, query.Page, query.PageSize, ids.Count > skip + query.PageSize);
    }

    public Task SaveDeadLetterAsync(DeadLetter deadLetter, CancellationToken cancellationToken) =>
        RetryAsync(async () =>
        {
            var list = await store.GetAsync<CatalogIdList>(DeadLetterListKey, cancellationToken);
            var ids = list?.Value.Ids ?? [];
            var writes = new List<StateWrite> { new(DeadLetterKey(deadLetter.Id), deadLetter, null) };
            if (!ids.Contains(deadLetter.Id))
            {
                writes.Add(new StateWrite(DeadLetterListKey, new CatalogIdList([.. ids, deadLetter.Id]), list?.ETag));
            }
            return await store.TryCommitAsync(writes, cancellationToken);
        });

    public async Task<IReadOnlyList<DeadLetter>> ListDeadLettersAsync(CancellationToken cancellationToken)
    {
        var ids = (await store.GetAsync<CatalogIdList>(DeadLetterListKey, cancellationToken))?.Value.Ids ?? [];
        return await store.GetManyAsync<DeadLetter>(ids.Select(DeadLetterKey).ToList(), cancellationToken);
    }

    public async Task<DeadLetter?> GetDeadLetterAsync(string id, CancellationToken cancellationToken) =>
        (await store.GetAsync<DeadLetter>(DeadLetterKey(id), cancellationToken))?.Value;

    public Task DeleteDeadLetterAsync(string id, CancellationToken cancellationToken) =>
        RetryAsync(async () =>
        {
            var list = await store.GetAsync<CatalogIdList>(DeadLetterListKey, cancellationToken);
            var writes = new List<StateWrite> { new(DeadLetterKey(id), null, null) };
            if (list is not null && list.Value.Ids.Contains(id))
            {
                writes.Add(new StateWrite(DeadLetterListKey, new CatalogIdList(list.Value.Ids.Where(i => i != id).ToList()), list.ETag));
            }
            return await store.TryCommitAsync(writes, cancellationToken);
        });

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

    private async Task AddIndexWritesAsync(List<StateWrite> writes, DocumentRecord record, CancellationToken cancellationToken)
    {
        foreach (var p in record.Provenance.DistinctBy(p => (p.Source, p.SourceId)))
        {
            var key = SourceKey(p.Source, p.SourceId);
            var list = await store.GetAsync<CatalogIdList>(key, cancellationToken);
            if (list is null || !list.Value.Ids.Contains(record.DocumentId))
            {
                writes.Add(new StateWrite(key, new CatalogIdList([.. list?.Value.Ids ?? [], record.DocumentId]), list?.ETag));
            }
        }

        var dayKey = DayKey(DateOnly.FromDateTime(record.CreatedAt.UtcDateTime), record.DocumentId);
        var day = await store.GetAsync<CatalogDayIndex>(dayKey, cancellationToken);
        var entry = new CatalogIndexEntry(
            record.DocumentId,
            record.Provenance.Select(p => p.Source).Distinct(StringComparer.Ordinal).ToList(),
            record.Departments,
            record.DocumentType,
            record.Status,
            record.CreatedAt);
        var entries = (day?.Value.Entries ?? []).Where(e => e.DocumentId != record.DocumentId).Append(entry).ToList();
        writes.Add(new StateWrite(dayKey, new CatalogDayIndex(entries), day?.ETag));
    }

    private static async Task RetryAsync(Func<Task<bool>> attempt)
    {
        for (var i = 1; i <= MaxAttempts; i++)
        {
            if (await attempt()) return;
            // Another writer won the ETag race; re-read and try again after a short, growing pause. The jitter keeps
            // writers that lost together from colliding again in lockstep.
            await Task.Delay(TimeSpan.FromMilliseconds(10 * i * i + Random.Shared.Next(0, 10 * i)));
        }
        throw new InvalidOperationException($"The catalog write kept conflicting with other writers after {MaxAttempts} attempts.");
    }

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
