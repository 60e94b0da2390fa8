using System.Collections.Concurrent;
using Kmrl.DocumentApi.Extensions;
using Microsoft.Extensions.Options;

namespace Kmrl.DocumentApi.Pipeline;

/// <summary>
/// Fairness between an import and everything else. Documents on the bulk topic are admitted into the workflow engine
/// only while fewer than <see cref="PipelineOptions.EffectiveBulkInFlight"/> of them are unfinished here; the
/// subscription handler waits for a slot, so the rest of an import stays in pub/sub (its own stream and consumer, so
/// the interactive topic's deliveries are not held up). An upload or a new mail therefore queues behind at most this
/// many bulk workflows, not behind the whole import. A slot is freed when the document's final record is saved. Counted
/// per process: after a restart, bulk runs already in the engine are not counted, so a restart can admit one more
/// batch of them.
/// </summary>
public sealed class BulkLane
{
    private readonly SemaphoreSlim _slots;
    private readonly ConcurrentDictionary<string, byte> _admitted = new(StringComparer.Ordinal);

    public BulkLane(IOptions<PipelineOptions> options, PipelineBacklog backlog)
    {
        Limit = options.Value.EffectiveBulkInFlight;
        _slots = new SemaphoreSlim(Limit, Limit);
        backlog.Closed += Release;
    }

    public int Limit { get; }

    public int InFlight => _admitted.Count;

    /// <summary>Waits for a slot; a redelivery of a document already admitted goes on at once.</summary>
    public async Task AdmitAsync(string documentId, CancellationToken cancellationToken)
    {
        if (_admitted.ContainsKey(documentId))
        {
            return;
        }
        await _slots.WaitAsync(cancellationToken);
        if (!_admitted.TryAdd(documentId, 0))
        {
            _slots.Release();
        }
    }

    /// <summary>The document is final, or its run was not started here after all.</summary>
    public void Release(string documentId)
    {
        if (_admitted.TryRemove(documentId, out _))
        {
            _slots.Release();
        }
    }
}
