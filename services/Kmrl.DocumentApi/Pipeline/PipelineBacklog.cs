using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Kmrl.DocumentApi.Extensions;
using Microsoft.Extensions.Options;

namespace Kmrl.DocumentApi.Pipeline;

/// <summary>
/// Documents this process has accepted (an upload) or taken from pub/sub (a DocumentDiscovered delivery) whose
/// processing has not ended in a final catalog record yet: the pipeline's backlog as this replica sees it, kept in
/// memory because counting it in the state store would mean a scan or one hot counter key under every upload.
/// Published as the gauge <see cref="GaugeName"/> of meter <see cref="MeterName"/> and judged by the health check.
/// It counts per process and starts from zero after a restart; arrivals still queued in pub/sub then reappear as they
/// are delivered again.
/// </summary>
public sealed class PipelineBacklog
{
    public const string MeterName = "Kmrl.DocumentApi";
    public const string GaugeName = "kmrl.documents.backlog";

    private readonly ConcurrentDictionary<string, byte> _open = new(StringComparer.Ordinal);

    private readonly bool _tracks;

    public PipelineBacklog(IMeterFactory meterFactory, IOptions<DocumentApiRoleOptions> role)
    {
        // An intake process never sees a document become final, so it would only ever count up.
        _tracks = role.Value.RunsPipeline;
        var meter = meterFactory.Create(MeterName);
        meter.CreateObservableGauge(GaugeName, () => (long)Depth, unit: "{document}",
            description: "Documents accepted or delivered and not yet final (processed, rejected or duplicate).");
    }

    public int Depth => _open.Count;

    /// <summary>The document is on its way through the pipeline (again: a redelivery counts once).</summary>
    public void Open(string documentId)
    {
        if (_tracks)
        {
            _open.TryAdd(documentId, 0);
        }
    }

    /// <summary>Raised on every <see cref="Close"/> (also for a document that was final already), e.g. for <see cref="BulkLane"/>.</summary>
    public event Action<string>? Closed;

    /// <summary>The document has its final record, or was final already.</summary>
    public void Close(string documentId)
    {
        _open.TryRemove(documentId, out _);
        Closed?.Invoke(documentId);
    }
}
