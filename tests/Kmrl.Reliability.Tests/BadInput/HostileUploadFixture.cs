using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Kmrl.Contracts;
using Kmrl.Dapr.Testing;
using Kmrl.Reliability.Tests.CrashConsistency;
using Kmrl.Reliability.Tests.Support;
using Kmrl.Testing.Servers;

namespace Kmrl.Reliability.Tests.BadInput;

/// <summary>
/// document-api's production build as a child process (<see cref="ServiceProcess"/>) on the test sidecar, fed the
/// <see cref="HostileUploadCases"/> one after the other and then a good document: if a case kills the service, the
/// test host lives on to report it, and the good document shows whether the service is still there.
/// </summary>
public sealed class HostileUploadFixture : IAsyncLifetime
{
    // Generous: on a loaded 2-core machine the worker takes over a minute to reach its memory cap on the largest case.
    private static readonly TimeSpan CaseTimeout = TimeSpan.FromSeconds(180);

    private readonly Dictionary<string, string> _outcomes = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _goodAfter = new(StringComparer.Ordinal);
    private RedisServer? _redis;
    private DaprTestEnvironment? _environment;
    private ServiceProcess? _service;
    private bool _stalled;

    public LogTail Tail { get; } = new(300);

    /// <summary>The good document's outcome, sent after every hostile one.</summary>
    public string GoodDocumentAfter { get; private set; } = "not-run";

    public bool ServiceAliveAfter { get; private set; }

    public string OutcomeOf(string caseName) => _outcomes[caseName];

    /// <summary>The outcome of the good document sent right after <paramref name="caseName"/>.</summary>
    public string GoodDocumentAfterCase(string caseName) => _goodAfter[caseName];

    public async Task InitializeAsync()
    {
        _redis = new RedisServer();
        await _redis.InitializeAsync();
        _environment = await DaprTestEnvironment.StartAsync(_redis, options =>
        {
            options.Log = Tail.Add;
            DocumentApiHost.AddApiKeys(options);
            // A production build refuses sidecar calls without the app token: every delivery would be retried, never run.
            options.AppApiToken = OperatorAccess.AppApiToken;
        });
        var sidecar = await _environment.StartSidecarAsync(DaprNames.AppIds.DocumentApi);
        var settings = new Dictionary<string, string?>(sidecar.AppConfiguration)
        {
            ["DocumentApi:Upload:MaxFileBytes"] = HostileUploadCases.MaxFileBytes.ToString(CultureInfo.InvariantCulture),
            // A third of the production worker heap, so a docx whose DOM would not fit is a third of the size too
            // (HostileUploadCases.WorkerHeapMiB): reading 30 million characters instead took past the case timeout
            // on a shared 2-core machine.
            ["DocumentProcessing:Isolation:WorkerHeapMiB"] = HostileUploadCases.WorkerHeapMiB.ToString(CultureInfo.InvariantCulture),
        };
        _service = ServiceProcess.Start("Kmrl.DocumentApi", settings, Tail.Add);
        await _service.WaitUntilAliveAsync(TimeSpan.FromSeconds(90));
        await sidecar.AttachAppAsync(_service.Address);

        foreach (var item in HostileUploadCases.All)
        {
            using var request = item.Request!();
            _outcomes[item.Name] = await RunAsync(request, item.Timeout ?? CaseTimeout);
            // Its own text, so that it is not a duplicate of the one before.
            using var next = new MultipartBody().File("good-after-" + item.Name + ".pdf", UploadCases.Pdf("good document after " + item.Name)).ToRequest();
            _goodAfter[item.Name] = await RunAsync(next, CaseTimeout);
        }
        using var good = new MultipartBody().File("good-after-hostile.pdf", UploadCases.Pdf("good document after the hostile ones")).ToRequest();
        GoodDocumentAfter = await RunAsync(good, CaseTimeout);
        ServiceAliveAfter = !_service.HasExited;
    }

    private async Task<string> RunAsync(HttpRequestMessage request, TimeSpan timeout)
    {
        // Once one document never finished, the rest would each wait out CaseTimeout too: the pipeline is stuck,
        // and the tests say so in minutes instead of the fixture outliving the test run's hang timeout.
        if (_stalled)
        {
            return "not-run:pipeline-stalled";
        }
        if (_service!.HasExited)
        {
            return "service-died:exit-" + ExitCode();
        }
        using var http = new HttpClient { BaseAddress = _service.Address, Timeout = TimeSpan.FromSeconds(60) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", DocumentApiHost.UploadReadKey);
        try
        {
            using var response = await http.SendAsync(request);
            if (response.StatusCode != HttpStatusCode.Accepted)
            {
                return $"http:{(int)response.StatusCode}";
            }
            var body = await response.Content.ReadFromJsonAsync<JsonObject>();
            var id = body!["documents"]![0]!["documentId"]!.GetValue<string>();
            var deadline = DateTime.UtcNow + timeout;
            while (DateTime.UtcNow < deadline)
            {
                if (_service.HasExited)
                {
                    return "service-died:exit-" + ExitCode();
                }
                using var poll = await http.GetAsync($"/documents/{id}");
                if (poll.IsSuccessStatusCode && await poll.Content.ReadFromJsonAsync<JsonObject>() is { } record
                    && record["status"]?.GetValue<string>() is "processed" or "rejected" or "duplicate")
                {
                    return Detailed(record, await UploadCorpusFixture.DescribeAsync(http, id, record, reportName: false));
                }
                await Task.Delay(250);
            }
            _stalled = true;
            return "timed-out";
        }
        catch (HttpRequestException) when (_service.HasExited)
        {
            return "service-died:exit-" + ExitCode();
        }
    }

    /// <summary>The extract stage's own reason (the isolation outcomes are named there) and any failed pages.</summary>
    private static string Detailed(JsonObject record, string outcome)
    {
        if (outcome.StartsWith("rejected:extract-failed", StringComparison.Ordinal))
        {
            var reason = record["rejection"]!["reason"]!.GetValue<string>().Split(':')[0];
            return "rejected:extract:" + reason + outcome["rejected:extract-failed".Length..];
        }
        if (record["failedPages"] is JsonArray { Count: > 0 } failed)
        {
            return outcome + ":failed-pages=" + string.Join(',', failed.Select(p => p!.ToString()));
        }
        return outcome;
    }

    private string ExitCode() => _service!.ExitCode.ToString(CultureInfo.InvariantCulture);

    public async Task DisposeAsync()
    {
        if (_service is { } service)
        {
            await service.DisposeAsync();
        }
        if (_environment is { } environment)
        {
            await environment.DisposeAsync();
        }
        if (_redis is { } redis)
        {
            await redis.DisposeAsync();
        }
    }
}
