extern alias sharepoint;

using Kmrl.Contracts;
using Kmrl.Dapr.Testing;
using Kmrl.Reliability.Tests.Support;
using Kmrl.Testing.Fakes;
using Kmrl.Testing.Servers;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Kiota.Abstractions.Authentication;

namespace Kmrl.Reliability.Tests.BadInput;

/// <summary>
/// sharepoint-connector's production Program on the test sidecar against FakeGraph (only the token provider is
/// swapped), started once; the steps run in order: first import, 410 Gone on the delta token, a 429 storm, items
/// that are not documents.
/// </summary>
public sealed class SharePointCorpusFixture : IAsyncLifetime
{
    public static IReadOnlyList<SourceCase<SharePointCorpusFixture>> Steps { get; } =
    [
        new("graph-first-import", "discovered:2", f => f.FirstImportAsync()),
        // The delta token expired (Graph 410 resyncRequired): the run starts over with a full enumeration; files
        // already handed on come again with the same idempotency keys, so nothing downstream is duplicated.
        new("graph-410-delta-token-expired", "resync:full", f => f.ExpiredTokenAsync()),
        // The SDK's retry handler honours Retry-After; the host never sees the 429s.
        new("graph-429-storm", "throttled:retried", f => f.ThrottledAsync()),
        new("graph-onenote-package", "ignored", f => f.NotADocumentAsync()),
        new("graph-executable-file", "skipped:extension-not-allowed", f => f.ExecutableAsync()),
    ];

    private readonly RedisServer _redis = new();
    private DaprTestEnvironment _environment = null!;
    private WebApplicationFactory<sharepoint::Program> _app = null!;
    private HttpClient _http = null!;
    private string _folder = null!;

    public static TheoryData<string, string> Table => SourceScenario<SharePointCorpusFixture>.Table(Steps);

    public FakeGraph Graph { get; private set; } = null!;

    public SourceCorpusProbe Probe { get; private set; } = null!;

    public HttpClient Http => _http;

    public SourceScenario<SharePointCorpusFixture> Scenario { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        await _redis.InitializeAsync();
        Graph = await FakeGraph.StartAsync();
        _folder = Graph.AddFolder("Drawings");
        _environment = await DaprTestEnvironment.StartAsync(_redis, OperatorAccess.Grant);
        var sidecar = await _environment.StartSidecarAsync(DaprNames.AppIds.SharePointConnector);
        _app = await sidecar.StartAppAsync<sharepoint::Program>(new Dictionary<string, string>
        {
            ["SharePoint:GraphBaseUrl"] = Graph.GraphBaseUrl.ToString(),
            ["SharePoint:Libraries:0:Site"] = FakeGraph.SiteUrl,
            ["SharePoint:Libraries:0:Library"] = "Documents",
            ["SharePoint:Libraries:0:Name"] = "engineering",
        }, web => web.ConfigureTestServices(services =>
        {
            services.RemoveAll<IAccessTokenProvider>();
            services.AddSingleton<IAccessTokenProvider, FakeGraphTokens>();
        }));
        _http = OperatorAccess.Client(_app.ClientOptions.BaseAddress);
        Probe = new SourceCorpusProbe(_environment, sidecar, _http, DaprNames.Bindings.SharePointSchedule);
        Scenario = new SourceScenario<SharePointCorpusFixture>(this, Steps);
    }

    private async Task<string> FirstImportAsync()
    {
        Graph.AddFile("Viaduct pier P-112.pdf", _folder, "%PDF viaduct pier drawing rev C");
        Graph.AddFile("Station canopy.pdf", _folder, "%PDF station canopy drawing rev A");
        var run = await Probe.RunOnceAsync();
        var discovered = await Probe.DiscoveredAsync();
        return Completed(run) ? $"discovered:{discovered.Count}" : "run-" + run["outcome"];
    }

    private async Task<string> ExpiredTokenAsync()
    {
        var before = await Probe.DiscoveredAsync();
        var goneBefore = Graph.GoneResponses;
        Graph.ExpireDeltaTokens();
        Graph.AddFile("Pier cap P-113.pdf", _folder, "%PDF pier cap drawing rev B");
        var run = await Probe.RunOnceAsync();
        var after = (await Probe.DiscoveredAsync()).Skip(before.Count).ToList();
        var knownKeys = before.Select(d => d.IdempotencyKey).ToHashSet(StringComparer.Ordinal);
        if (!Completed(run) || Graph.GoneResponses != goneBefore + 1)
        {
            return $"run-{run["outcome"]}:gone-{Graph.GoneResponses - goneBefore}";
        }
        var newFile = after.Count(d => d.FileName == "Pier cap P-113.pdf");
        var reread = after.Where(d => d.FileName != "Pier cap P-113.pdf").ToList();
        return newFile == 1 && reread.All(d => knownKeys.Contains(d.IdempotencyKey)) ? "resync:full" : $"resync:new-file-{newFile}-reread-{reread.Count}";
    }

    private async Task<string> ThrottledAsync()
    {
        var throttledBefore = Graph.ThrottledResponses;
        Graph.Throttle(3);
        Graph.AddFile("Track plan.pdf", _folder, "%PDF track plan rev D");
        var run = await Probe.RunOnceAsync();
        var found = (await Probe.DiscoveredAsync()).Count(d => d.FileName == "Track plan.pdf");
        return Completed(run) && found == 1 && Graph.ThrottledResponses - throttledBefore == 3 ? "throttled:retried" : $"run-{run["outcome"]}:found-{found}";
    }

    private async Task<string> NotADocumentAsync()
    {
        Graph.AddOneNotePackage("Site notebook", _folder);
        var run = await Probe.RunOnceAsync();
        var found = (await Probe.DiscoveredAsync()).Any(d => d.FileName.StartsWith("Site notebook", StringComparison.Ordinal));
        var skipped = await Probe.SkippedOutcomeAsync(s => s["fileName"]?.GetValue<string>()?.StartsWith("Site notebook", StringComparison.Ordinal) == true);
        return !Completed(run) ? "run-" + run["outcome"] : found ? "discovered" : skipped ?? "ignored";
    }

    private async Task<string> ExecutableAsync()
    {
        Graph.AddFile("macro.exe", _folder, "MZ not a document");
        var run = await Probe.RunOnceAsync();
        return await Probe.SkippedOutcomeAsync(s => s["fileName"]?.GetValue<string>() == "macro.exe")
            ?? ((await Probe.DiscoveredAsync()).Any(d => d.FileName == "macro.exe") ? "discovered" : "run-" + run["outcome"]);
    }

    private static bool Completed(System.Text.Json.Nodes.JsonObject run) =>
        string.Equals(run["outcome"]?.GetValue<string>(), "completed", StringComparison.OrdinalIgnoreCase);

    public async Task DisposeAsync()
    {
        await Scenario.Completion;
        _http.Dispose();
        await _app.DisposeAsync();
        await _environment.DisposeAsync();
        await Graph.DisposeAsync();
        await _redis.DisposeAsync();
    }
}
