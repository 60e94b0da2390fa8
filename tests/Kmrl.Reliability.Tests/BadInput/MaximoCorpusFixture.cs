extern alias maximo;

using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Kmrl.Contracts;
using Kmrl.Dapr.Testing;
using Kmrl.Reliability.Tests.Support;
using Kmrl.Testing.Fakes;
using Kmrl.Testing.Servers;
using Microsoft.AspNetCore.Mvc.Testing;

namespace Kmrl.Reliability.Tests.BadInput;

/// <summary>
/// maximo-connector's production Program (REST source) on the test sidecar against FakeMaximo, started once; the
/// steps of <see cref="Steps"/> run in order: 5xx that pass, 5xx that outlast the client's retries, recovery, 401,
/// attachments the filters refuse.
/// </summary>
public sealed class MaximoCorpusFixture : IAsyncLifetime
{
    public static IReadOnlyList<SourceCase<MaximoCorpusFixture>> Steps { get; } =
    [
        // MaximoApiClient retries 5xx Attempts (3) times with RetryDelay: two 500s are absorbed.
        new("maximo-500-twice-then-ok", "retried:discovered", f => f.AddAndRunAsync("WO-R3-1", "pump-inspection.pdf", failures: [500, 500])),
        // Three 500s exhaust the client's tries; the run fails and stores no checkpoint past the work order.
        new("maximo-500-on-every-attempt", "run-failed:checkpoint-held", f => f.AddAndRunAsync("WO-R3-2", "bogie-report.pdf", failures: [500, 500, 500])),
        new("maximo-recovers-on-next-tick", "discovered", f => f.RunAgainForAsync("bogie-report.pdf")),
        new("maximo-503-then-ok", "retried:discovered", f => f.AddAndRunAsync("WO-R3-3", "hvac-checklist.pdf", failures: [503])),
        // 401/403 are not retried (MaximoApiException), so a wrong key does not hammer Maximo.
        new("maximo-401-unauthorized", "run-failed:not-retried", f => f.AddAndRunAsync("WO-R3-4", "escalator-log.pdf", failures: [401])),
        new("maximo-recovers-after-401", "discovered", f => f.RunAgainForAsync("escalator-log.pdf")),
        new("maximo-executable-doclink", "skipped:extension-not-allowed", f => f.AddAndRunAsync("WO-R3-5", "macro.exe")),
        new("maximo-doclink-over-size-limit", "skipped:too-large", f => f.AddAndRunAsync("WO-R3-6", "huge-scan.pdf", size: MaxSizeBytes + 1)),
        // The connector does not judge content; document-api refuses it later as empty-file.
        new("maximo-zero-byte-doclink", "skipped:empty-file", f => f.AddAndRunAsync("WO-R3-7", "empty.pdf", size: 0)),
        // Issue 18: a doclink href on another origin is not followed, so the API key never reaches it; the work
        // order's next attachment (on BaseUrl's origin) still arrives.
        new("maximo-doclink-on-another-origin", "dead-lettered:foreign-link", f => f.AddForeignDocLinkAndRunAsync("WO-R3-8", "elsewhere.pdf", "after-elsewhere.pdf")),
        new("maximo-good-doclink-after-the-foreign-one", "discovered", f => f.DescribeAsync("after-elsewhere.pdf")),
    ];

    private const int MaxSizeBytes = 64 * 1024;
    private readonly RedisServer _redis = new();
    private DaprTestEnvironment _environment = null!;
    private WebApplicationFactory<maximo::Program> _app = null!;
    private HttpClient _http = null!;
    private int _docLinkId = 100;

    public static TheoryData<string, string> Table => SourceScenario<MaximoCorpusFixture>.Table(Steps);

    public FakeMaximo Maximo { get; private set; } = null!;

    /// <summary>Another origin (same fake, another port) that a hostile doclink names; it must see no credential.</summary>
    public FakeMaximo Elsewhere { get; private set; } = null!;

    public SourceCorpusProbe Probe { get; private set; } = null!;

    public HttpClient Http => _http;

    public SourceScenario<MaximoCorpusFixture> Scenario { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        await _redis.InitializeAsync();
        Maximo = await FakeMaximo.StartAsync();
        Elsewhere = await FakeMaximo.StartAsync();
        _environment = await DaprTestEnvironment.StartAsync(_redis, options =>
        {
            options.Secrets["maximo"] = new Dictionary<string, object> { ["apikey"] = FakeMaximo.ApiKey };
            options.AllowSecrets(DaprNames.AppIds.MaximoConnector, "maximo");
            OperatorAccess.Grant(options);
        });
        var sidecar = await _environment.StartSidecarAsync(DaprNames.AppIds.MaximoConnector);
        _app = await sidecar.StartAppAsync<maximo::Program>(new Dictionary<string, string>
        {
            ["Maximo:Rest:0:Name"] = "maximo/mxapiwodetail",
            ["Maximo:Rest:0:BaseUrl"] = Maximo.BaseUrl,
            ["Maximo:Rest:0:AllowInsecureHttp"] = "true",
            ["Maximo:Rest:0:Secret"] = "maximo",
            ["Maximo:Rest:0:RetryDelay"] = "00:00:00.100",
            ["Connector:Filters:MaxSizeBytes"] = MaxSizeBytes.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Connector:RetryBaseDelay"] = "00:00:00.100",
            ["Connector:RetryMaxDelay"] = "00:00:00.500",
        });
        _http = OperatorAccess.Client(_app.ClientOptions.BaseAddress);
        Probe = new SourceCorpusProbe(_environment, sidecar, _http, DaprNames.Bindings.MaximoSchedule);
        Scenario = new SourceScenario<MaximoCorpusFixture>(this, Steps);
    }

    /// <summary>Adds a work order with one attachment, queues failures for the next requests, runs once.</summary>
    private async Task<string> AddAndRunAsync(string woNum, string fileName, int[]? failures = null, int? size = null)
    {
        var content = size is { } bytes ? new byte[bytes] : Encoding.UTF8.GetBytes($"%PDF-1.7 R3 {woNum} {fileName}");
        if (size is > 8)
        {
            "%PDF-1.7"u8.CopyTo(content);
        }
        var changed = DateTimeOffset.UtcNow.AddMinutes(-1);
        Maximo.WorkOrders.Add(new FakeWorkOrder(woNum, "MUTTOM", "R3 " + fileName, "APPR", changed,
            [new FakeDocLink(Interlocked.Increment(ref _docLinkId), fileName, "Attachments", "R3 case", changed, content)]));
        foreach (var status in failures ?? [])
        {
            Maximo.Failures.Enqueue(status);
        }
        var requestsBefore = Maximo.Requests.Count;
        var checkpointBefore = (await Probe.SourceAsync())?["checkpoint"]?["valuePreview"]?.GetValue<string>();
        var run = await Probe.RunOnceAsync();
        return await DescribeAsync(run, fileName, retried: (failures?.Length ?? 0) > 0, Maximo.Requests.Count - requestsBefore, checkpointBefore);
    }

    /// <summary>A work order whose first doclink names <see cref="Elsewhere"/>'s origin and whose second is Maximo's own; runs once.</summary>
    private async Task<string> AddForeignDocLinkAndRunAsync(string woNum, string foreignName, string goodName)
    {
        var changed = DateTimeOffset.UtcNow.AddMinutes(-1);
        FakeDocLink Link(string name, string? origin) => new(Interlocked.Increment(ref _docLinkId), name, "Attachments", "R3 case", changed,
            Encoding.UTF8.GetBytes($"%PDF-1.7 R3 {woNum} {name}"), origin);
        Maximo.WorkOrders.Add(new FakeWorkOrder(woNum, "MUTTOM", "R3 " + foreignName, "APPR", changed,
            [Link(foreignName, Elsewhere.BaseUrl), Link(goodName, null)]));
        var run = await Probe.RunOnceAsync();
        var outcome = await DescribeAsync(run, foreignName, retried: false, requests: 0, checkpointBefore: null);
        return Elsewhere.CredentialedRequests.IsEmpty ? outcome : outcome + ":credential-sent-to-another-origin";
    }

    /// <summary>What became of an attachment of an earlier step's run.</summary>
    private async Task<string> DescribeAsync(string fileName) =>
        await Probe.SkippedOutcomeAsync(s => s["fileName"]?.GetValue<string>() == fileName)
        ?? ((await Probe.DiscoveredAsync()).Count(d => d.FileName == fileName) switch { 0 => "missing", 1 => "discovered", var n => $"discovered-{n}-times" });

    private async Task<string> RunAgainForAsync(string fileName)
    {
        var run = await Probe.RunOnceAsync();
        return await DescribeAsync(run, fileName, retried: false, requests: 0, checkpointBefore: null);
    }

    private async Task<string> DescribeAsync(JsonObject run, string fileName, bool retried, int requests, string? checkpointBefore)
    {
        var outcome = run["outcome"]!.GetValue<string>();
        if (!string.Equals(outcome, "completed", StringComparison.OrdinalIgnoreCase))
        {
            var checkpointAfter = (await Probe.SourceAsync())?["checkpoint"]?["valuePreview"]?.GetValue<string>();
            // One request per failure queued means nobody retried; the checkpoint must not have moved past the failure.
            return requests == 1 ? "run-failed:not-retried"
                : checkpointAfter == checkpointBefore ? "run-failed:checkpoint-held"
                : "run-failed:checkpoint-moved";
        }
        if (await Probe.SkippedOutcomeAsync(s => s["fileName"]?.GetValue<string>() == fileName) is { } skipped)
        {
            return skipped;
        }
        var discovered = (await Probe.DiscoveredAsync()).Count(d => d.FileName == fileName);
        return discovered switch
        {
            0 => "missing",
            1 => retried ? "retried:discovered" : "discovered",
            _ => $"discovered-{discovered}-times",
        };
    }

    public async Task DisposeAsync()
    {
        await Scenario.Completion;
        _http.Dispose();
        await _app.DisposeAsync();
        await _environment.DisposeAsync();
        await Maximo.DisposeAsync();
        await Elsewhere.DisposeAsync();
        await _redis.DisposeAsync();
    }
}
