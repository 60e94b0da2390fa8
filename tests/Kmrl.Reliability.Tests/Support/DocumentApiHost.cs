extern alias documentapi;

using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Kmrl.Contracts;
using Kmrl.Dapr.Testing;
using Kmrl.Testing.Servers;
using Microsoft.AspNetCore.Mvc.Testing;

namespace Kmrl.Reliability.Tests.Support;

/// <summary>
/// document-api's production Program on the Dapr test sidecar over its own Redis, with API keys in the sidecar's
/// secret store: a full-rights client, a read-only one and an upload-only one. Started once per test class.
/// </summary>
public sealed class DocumentApiHost : IAsyncDisposable
{
    public const string UploadReadKey = "reliability-full-key-0123456789";
    public const string ReadOnlyKey = "reliability-read-key-0123456789";
    public const string UploadOnlyKey = "reliability-upload-key-01234567";

    /// <summary>The placeholder of secrets.example.json, in the store as a copied example file would put it.</summary>
    public const string PlaceholderKey = "replace-with-a-long-random-key";

    // Dropped when stopped, so that a stopped part's memory can be collected (R5 measures who held what).
    private RedisServer? _redis;
    private DaprTestEnvironment? _environment;
    private DaprSidecar? _sidecar;
    private WebApplicationFactory<documentapi::Program>? _app;
    private TempDirectory? _searchIndex;

    private DocumentApiHost(RedisServer redis, DaprTestEnvironment environment, DaprSidecar sidecar, WebApplicationFactory<documentapi::Program> app, TempDirectory searchIndex)
    {
        _redis = redis;
        _searchIndex = searchIndex;
        _environment = environment;
        _sidecar = sidecar;
        _app = app;
        BaseAddress = app.ClientOptions.BaseAddress;
    }

    public DaprSidecar Sidecar => _sidecar ?? throw new ObjectDisposedException(nameof(DocumentApiHost));

    public DaprTestEnvironment Environment => _environment ?? throw new ObjectDisposedException(nameof(DocumentApiHost));

    public Uri BaseAddress { get; }

    /// <param name="settings">App settings on top of the production ones (e.g. a small <c>MaxFileBytes</c>).</param>
    /// <param name="appApiToken">When set, the sidecar sends it as dapr-api-token and the app requires it (APP_API_TOKEN).</param>
    public static async Task<DocumentApiHost> StartAsync(IReadOnlyDictionary<string, string>? settings = null, string? appApiToken = null, Action<string>? log = null)
    {
        var redis = new RedisServer();
        await redis.InitializeAsync();
        var environment = await DaprTestEnvironment.StartAsync(redis, options =>
        {
            options.Log = log;
            options.AppApiToken = appApiToken;
            AddApiKeys(options);
        });
        var sidecar = await environment.StartSidecarAsync(DaprNames.AppIds.DocumentApi);
        // Its own Lucene index: the default (.data/search under the working directory) is one folder for every host in
        // this test process, and a second writer on it fails to take the index lock (R4 got 500s beside R3 and R5).
        var searchIndex = new TempDirectory("reliability-search");
        var appSettings = new Dictionary<string, string>(StringComparer.Ordinal) { ["Search:Lucene:IndexPath"] = searchIndex.Path };
        foreach (var (key, value) in settings ?? new Dictionary<string, string>())
        {
            appSettings[key] = value;
        }
        var app = await sidecar.StartAppAsync<documentapi::Program>(appSettings);
        return new DocumentApiHost(redis, environment, sidecar, app, searchIndex);
    }

    /// <summary>The three clients' keys in the sidecar's secret store, and the example file's placeholder.</summary>
    public static void AddApiKeys(DaprTestOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Secrets["document-api-api-keys"] = new Dictionary<string, object>
        {
            ["portal"] = UploadReadKey + ";upload,read",
            ["auditor"] = ReadOnlyKey + ";read",
            ["scanner"] = UploadOnlyKey + ";upload",
            // As a secrets.json copied from secrets.example.json leaves it: refused at start, so it opens nothing.
            ["kmrl-portal"] = PlaceholderKey + ";upload,read",
        };
    }

    /// <summary>A client with <paramref name="apiKey"/> as its bearer token, or none.</summary>
    public HttpClient CreateClient(string? apiKey = UploadReadKey)
    {
        var http = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromMinutes(2) };
        if (apiKey is not null)
        {
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
        }
        return http;
    }

    /// <summary>Waits until the document leaves the workflow: processed, rejected or duplicate.</summary>
    public static async Task<JsonObject> WaitForFinalStatusAsync(HttpClient http, string documentId, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(120));
        JsonObject? last = null;
        while (DateTime.UtcNow < deadline)
        {
            using var response = await http.GetAsync($"/documents/{documentId}");
            if (response.IsSuccessStatusCode)
            {
                last = await response.Content.ReadFromJsonAsync<JsonObject>();
                var status = last?["status"]?.GetValue<string>();
                if (status is "processed" or "rejected" or "duplicate")
                {
                    return last!;
                }
            }
            await Task.Delay(250);
        }
        throw new TimeoutException($"Document {documentId} did not leave the workflow: {last?.ToJsonString()}");
    }

    /// <summary>Stops document-api only; the sidecar double and Redis keep running (memory attribution in R5).</summary>
    public async Task StopAppAsync()
    {
        if (_app is { } app)
        {
            _app = null;
            await app.DisposeAsync();
        }
    }

    /// <summary>Stops the sidecar double and Redis too (after the app).</summary>
    public async ValueTask DisposeAsync()
    {
        await StopAppAsync();
        _sidecar = null;
        if (_environment is { } environment)
        {
            _environment = null;
            await environment.DisposeAsync();
        }
        if (_redis is { } redis)
        {
            _redis = null;
            await redis.DisposeAsync();
        }
        _searchIndex?.Dispose();
        _searchIndex = null;
    }
}
