using Kmrl.Connectors.WhatsApp.Pending;

namespace Kmrl.Connectors.WhatsApp.Tests.Fakes;

/// <summary>The pending store port in memory, with the same first-write semantics as the Dapr adapter.</summary>
public sealed class InMemoryPendingMediaStore : IPendingMediaStore
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, PendingMediaEntry> _entries = new(StringComparer.Ordinal);

    public IReadOnlyList<PendingMediaEntry> All
    {
        get { lock (_gate) { return _entries.Values.ToList(); } }
    }

    public Task<bool> AddAsync(PendingMedia media, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return Task.FromResult(_entries.TryAdd(media.MessageId, new PendingMediaEntry(media, PendingMediaStatus.Pending)));
        }
    }

    public Task<IReadOnlyList<PendingMediaEntry>> ListPendingAsync(CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            IReadOnlyList<PendingMediaEntry> pending = _entries.Values
                .Where(e => e.Status == PendingMediaStatus.Pending)
                .OrderBy(e => e.Media.Timestamp)
                .ToList();
            return Task.FromResult(pending);
        }
    }

    public Task<PendingMediaEntry?> GetAsync(string messageId, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return Task.FromResult(_entries.GetValueOrDefault(messageId));
        }
    }

    public Task RecordAttemptAsync(string messageId, string? error, CancellationToken cancellationToken) =>
        Update(messageId, e => e with { Attempts = e.Attempts + 1, LastError = error ?? e.LastError });

    public Task MarkDoneAsync(string messageId, CancellationToken cancellationToken) =>
        Update(messageId, e => e with { Status = PendingMediaStatus.Done });

    public Task MarkDeadLetteredAsync(string messageId, string reason, CancellationToken cancellationToken) =>
        Update(messageId, e => e with { Status = PendingMediaStatus.DeadLettered, DeadLetterReason = reason });

    private Task Update(string messageId, Func<PendingMediaEntry, PendingMediaEntry> change)
    {
        lock (_gate)
        {
            if (_entries.TryGetValue(messageId, out var entry))
            {
                _entries[messageId] = change(entry);
            }
        }
        return Task.CompletedTask;
    }
}
