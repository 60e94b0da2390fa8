using System.Diagnostics;
using System.Diagnostics.Metrics;
using Kmrl.Connectors.Observability;
using Kmrl.Connectors.Sync;
using Kmrl.Connectors.Tests.Fakes;
using Kmrl.Contracts;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Kmrl.Connectors.Tests;

public sealed class ObservabilityTests
{
    private static readonly TimeProvider Clock = TimeProvider.System;

    [Fact]
    public async Task Health_turns_degraded_after_consecutive_failed_runs_and_sync_failed_is_published_then()
    {
        var ports = new ConnectorPorts(Clock);
        var source = TestSource.WithTextItems("inbox", 1);
        var failing = true;
        source.OnRead = _ =>
        {
            if (failing)
            {
                throw new UnauthorizedAccessException("password expired");
            }
        };
        await using var host = TestHost.Create(ports, Clock, new Dictionary<string, string?> { ["Connector:DegradedAfterConsecutiveFailures"] = "3" }, source);
        var health = host.Get<ConnectorSyncHealthCheck>();
        async Task<HealthStatus> Status() => (await health.CheckHealthAsync(new HealthCheckContext())).Status;

        await host.Runner.RunAsync(source, CancellationToken.None);
        await host.Runner.RunAsync(source, CancellationToken.None);
        Assert.Equal(HealthStatus.Healthy, await Status());
        Assert.Empty(ports.Publisher.Of<ConnectorSyncFailed>());

        await host.Runner.RunAsync(source, CancellationToken.None);
        Assert.Equal(HealthStatus.Degraded, await Status());
        var alert = Assert.Single(ports.Publisher.Of<ConnectorSyncFailed>());
        Assert.Equal((TestHost.Connector, "inbox", 3), (alert.Connector, alert.Source, alert.ConsecutiveFailures));
        Assert.Contains("password expired", alert.Error);
        Assert.Equal(DaprNames.Topics.ConnectorSyncFailed, ports.Publisher.Published.Single().Topic);

        await host.Runner.RunAsync(source, CancellationToken.None);
        Assert.Single(ports.Publisher.Of<ConnectorSyncFailed>());

        failing = false;
        await host.Runner.RunAsync(source, CancellationToken.None);
        Assert.Equal(HealthStatus.Healthy, await Status());
        var state = host.Get<ConnectorStatusRegistry>().Get("inbox");
        Assert.Equal(0, state.ConsecutiveFailures);
        Assert.NotNull(state.LastSuccessAt);
        Assert.Contains("password expired", state.LastError);
    }

    [Fact]
    public async Task A_source_that_published_sync_failed_publishes_sync_recovered_once_when_a_run_completes_again()
    {
        var ports = new ConnectorPorts(Clock);
        var source = TestSource.WithTextItems("inbox", 1);
        var failing = false;
        source.OnRead = _ =>
        {
            if (failing)
            {
                throw new UnauthorizedAccessException("password expired");
            }
        };
        await using var host = TestHost.Create(ports, Clock, new Dictionary<string, string?> { ["Connector:DegradedAfterConsecutiveFailures"] = "2" }, source);

        // One failed run is below the threshold: nothing was announced, so nothing recovers.
        failing = true;
        await host.Runner.RunAsync(source, CancellationToken.None);
        failing = false;
        await host.Runner.RunAsync(source, CancellationToken.None);
        Assert.Empty(ports.Publisher.Of<ConnectorSyncRecovered>());

        failing = true;
        for (var run = 0; run < 5; run++)
        {
            await host.Runner.RunAsync(source, CancellationToken.None);
        }
        failing = false;
        await host.Runner.RunAsync(source, CancellationToken.None);
        await host.Runner.RunAsync(source, CancellationToken.None);

        var recovered = Assert.Single(ports.Publisher.Of<ConnectorSyncRecovered>());
        Assert.Equal((TestHost.Connector, "inbox", 5), (recovered.Connector, recovered.Source, recovered.FailedRuns));
        Assert.Single(ports.Publisher.Published, p => p.Topic == DaprNames.Topics.ConnectorSyncRecovered);
    }

    [Fact]
    public async Task Runs_emit_metrics_and_a_trace_from_source_read_through_blob_write_to_publish()
    {
        var ports = new ConnectorPorts(Clock);
        var source = TestSource.WithTextItems("metered-source", 3);
        var measurements = new List<(string Instrument, double Value, string? Source)>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == ConnectorMetrics.MeterName)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            string? sourceTag = null;
            foreach (var tag in tags)
            {
                if (tag.Key == ConnectorTelemetry.SourceTag)
                {
                    sourceTag = tag.Value as string;
                }
            }
            lock (measurements)
            {
                measurements.Add((instrument.Name, value, sourceTag));
            }
        }
        listener.SetMeasurementEventCallback<long>((i, v, t, _) => Record(i, v, t));
        listener.SetMeasurementEventCallback<double>((i, v, t, _) => Record(i, v, t));
        listener.Start();
        var activities = new List<Activity>();
        using var activityListener = new ActivityListener
        {
            ShouldListenTo = s => s.Name == ConnectorTelemetry.Name,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = a =>
            {
                lock (activities)
                {
                    activities.Add(a);
                }
            },
        };
        ActivitySource.AddActivityListener(activityListener);
        await using var host = TestHost.Create(ports, Clock, null, source);

        await host.Runner.RunAsync(source, CancellationToken.None);
        listener.RecordObservableInstruments();

        List<(string Instrument, double Value, string? Source)> mine;
        lock (measurements)
        {
            mine = [.. measurements.Where(m => m.Source == "metered-source")];
        }
        Assert.Equal(3, mine.Where(m => m.Instrument == "kmrl.connector.documents.discovered").Sum(m => m.Value));
        Assert.Equal(ports.Publisher.Of<DocumentDiscovered>().Sum(e => e.Size), mine.Where(m => m.Instrument == "kmrl.connector.content.written").Sum(m => m.Value));
        Assert.Single(mine, m => m.Instrument == "kmrl.connector.runs");
        Assert.Single(mine, m => m.Instrument == "kmrl.connector.run.duration");
        Assert.Contains(mine, m => m.Instrument == "kmrl.connector.last_success");
        Assert.Contains(mine, m => m.Instrument == "kmrl.connector.lag");
        Assert.Contains(mine, m => m.Instrument == "kmrl.connector.document.age" && m.Value >= 0);
        Assert.Contains(mine, m => m.Instrument == "kmrl.connector.checkpoint.age" && m.Value >= 0);

        List<Activity> spans;
        lock (activities)
        {
            spans = [.. activities.Where(a => a.RootId is not null)];
        }
        var sync = Assert.Single(spans, a => a.OperationName == "connector.sync" && (string?)a.GetTagItem(ConnectorTelemetry.SourceTag) == "metered-source");
        var documents = spans.Where(a => a.OperationName == "connector.document" && a.ParentSpanId == sync.SpanId).ToList();
        Assert.Equal(3, documents.Count);
        foreach (var document in documents)
        {
            var children = spans.Where(a => a.ParentSpanId == document.SpanId).Select(a => a.OperationName);
            Assert.Equal(["connector.source.open", "connector.blob.write", "connector.publish"], children);
        }
    }
}
