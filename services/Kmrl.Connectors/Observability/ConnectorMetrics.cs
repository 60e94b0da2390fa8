using System.Diagnostics.Metrics;
using Kmrl.Connectors.Hosting;
using Microsoft.Extensions.Options;

namespace Kmrl.Connectors.Observability;

/// <summary>
/// The meter <c>Kmrl.Connectors</c>; every instrument is tagged with connector and source. <c>kmrl.connector.lag</c>
/// is the time since the source's last completed run (how stale this replica's view of the source may be),
/// <c>kmrl.connector.document.age</c> the time since it last handed on a document (a source that runs but finds
/// nothing for days is worth a look), <c>kmrl.connector.checkpoint.age</c> the time since its checkpoint was stored.
/// Names and units follow the OpenTelemetry conventions (dotted names, UCUM units, no unit in the name); the
/// Prometheus endpoint turns them into <c>kmrl_connector_lag_seconds</c>, <c>kmrl_connector_runs_total</c>, ...
/// </summary>
internal sealed class ConnectorMetrics
{
    public const string MeterName = ConnectorTelemetry.Name;

    private readonly string _connector;
    private readonly Counter<long> _runs;
    private readonly Histogram<double> _duration;
    private readonly Counter<long> _discovered;
    private readonly Counter<long> _removed;
    private readonly Counter<long> _rejected;
    private readonly Counter<long> _deadLettered;
    private readonly Counter<long> _bytes;
    private readonly ConnectorStatusRegistry _status;
    private readonly TimeProvider _time;

    public ConnectorMetrics(IMeterFactory meterFactory, ConnectorStatusRegistry status, IOptions<ConnectorHostOptions> options, TimeProvider timeProvider)
    {
        _connector = options.Value.ConnectorName;
        _status = status;
        _time = timeProvider;
        var meter = meterFactory.Create(MeterName);
        _runs = meter.CreateCounter<long>("kmrl.connector.runs", "{run}", "Sync runs by outcome.");
        _duration = meter.CreateHistogram<double>("kmrl.connector.run.duration", "s", "Duration of sync runs.");
        _discovered = meter.CreateCounter<long>("kmrl.connector.documents.discovered", "{document}", "Documents stored and published.");
        _removed = meter.CreateCounter<long>("kmrl.connector.documents.removed", "{document}", "Removals at the source published.");
        _rejected = meter.CreateCounter<long>("kmrl.connector.documents.rejected", "{document}", "Documents rejected by a filter.");
        _deadLettered = meter.CreateCounter<long>("kmrl.connector.documents.dead_lettered", "{document}", "Documents given up after repeated failures.");
        _bytes = meter.CreateCounter<long>("kmrl.connector.content.written", "By", "Content bytes written to the claim check.");
        meter.CreateObservableGauge("kmrl.connector.last_success", () => status.All()
            .Where(s => s.LastSuccessAt is not null)
            .Select(s => new Measurement<double>(s.LastSuccessAt!.Value.ToUnixTimeMilliseconds() / 1000d, Tags(s.Source))),
            "s", "Unix time of the last completed run.");
        meter.CreateObservableGauge("kmrl.connector.lag", () => status.All()
            .Where(s => s.LastSuccessAt is not null)
            .Select(s => new Measurement<double>((timeProvider.GetUtcNow() - s.LastSuccessAt!.Value).TotalSeconds, Tags(s.Source))),
            "s", "Seconds since the last completed run.");
        meter.CreateObservableGauge("kmrl.connector.document.age", () => status.All()
            .Where(s => s.LastDocumentAt is not null)
            .Select(s => new Measurement<double>((timeProvider.GetUtcNow() - s.LastDocumentAt!.Value).TotalSeconds, Tags(s.Source))),
            "s", "Seconds since this replica last handed on a document of the source.");
        meter.CreateObservableGauge("kmrl.connector.checkpoint.age", () => status.All()
            .Where(s => s.Checkpoint is not null)
            .Select(s => new Measurement<double>((timeProvider.GetUtcNow() - s.Checkpoint!.SavedAt).TotalSeconds, Tags(s.Source))),
            "s", "Seconds since the source's checkpoint was stored.");
    }

    public void RunFinished(string source, string outcome, TimeSpan duration)
    {
        var tags = Tags(source);
        tags.Add(ConnectorTelemetry.OutcomeTag, outcome);
        _runs.Add(1, tags);
        _duration.Record(duration.TotalSeconds, tags);
    }

    public void Discovered(string source, long bytes)
    {
        // One record of the source's last document, for the gauge and for /connector/status.
        _status.DocumentHandedOn(source, _time.GetUtcNow());
        _discovered.Add(1, Tags(source));
        _bytes.Add(bytes, Tags(source));
    }

    public void Removed(string source) => _removed.Add(1, Tags(source));

    public void Rejected(string source) => _rejected.Add(1, Tags(source));

    public void DeadLettered(string source) => _deadLettered.Add(1, Tags(source));

    private System.Diagnostics.TagList Tags(string source) =>
        new() { { ConnectorTelemetry.ConnectorTag, _connector }, { ConnectorTelemetry.SourceTag, source } };
}
