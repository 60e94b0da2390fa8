extern alias documentapi;

using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Kmrl.Contracts;
using Kmrl.Dapr.Testing;
using Microsoft.AspNetCore.Mvc.Testing;

namespace Kmrl.Bench.Benchmarks;

/// <summary>
/// document-api's production Program on the Dapr test sidecar (real Redis, blob binding, workflow engine), with an
/// upload+read API key in the secret store, the way tests/Kmrl.DocumentApi.Tests/EndToEnd starts it.
/// </summary>
public sealed class DocumentApiHost : IAsyncDisposable
{
    private const string ApiKey = "bench-portal-key-0123456789abcdef";
    private const string ContentRootVariable = "ASPNETCORE_TEST_CONTENTROOT_KMRL_DOCUMENTAPI";

    private readonly DaprTestEnvironment _environment;
    private readonly WebApplicationFactory<documentapi::Program> _app;

    private DocumentApiHost(DaprTestEnvironment environment, DaprSidecar sidecar, WebApplicationFactory<documentapi::Program> app)
    {
        _environment = environment;
        _app = app;
        Sidecar = sidecar;
        BaseAddress = app.ClientOptions.BaseAddress;
    }

    public DaprSidecar Sidecar { get; }

    /// <summary>The environment the app's sidecar runs in: more sidecars (connectors) can join it.</summary>
    public DaprTestEnvironment Environment => _environment;

    /// <summary>The app's services (its claim-check store, to queue an import as a connector would).</summary>
    public IServiceProvider Services => _app.Services;

    /// <summary>The environment's Redis, to look at what the state store holds (key sizes).</summary>
    public StackExchange.Redis.IConnectionMultiplexer Redis => _environment.Redis;

    public Uri BaseAddress { get; }

    /// <summary>Starts a fresh environment (the Redis database is flushed) and the app with <paramref name="settings"/> on top.</summary>
    public static async Task<DocumentApiHost> StartAsync(BenchContext context, IReadOnlyDictionary<string, string>? settings = null,
        Action<DaprTestOptions>? configure = null)
    {
        // WebApplicationFactory finds the app's content root from the working directory; run from the repository
        // root (./build.sh bench) it guesses <root>/Kmrl.DocumentApi and the host fails to start. Its documented
        // override is this variable.
        if (System.Environment.GetEnvironmentVariable(ContentRootVariable) is null)
        {
            System.Environment.SetEnvironmentVariable(ContentRootVariable, Path.Combine(RepositoryPaths.Root, "services", "Kmrl.DocumentApi"));
        }
        var environment = await DaprTestEnvironment.StartAsync(context.Redis, options =>
        {
            options.Secrets["document-api-api-keys"] = new Dictionary<string, object> { ["bench"] = ApiKey + ";upload,read" };
            configure?.Invoke(options);
        });
        try
        {
            var sidecar = await environment.StartSidecarAsync(DaprNames.AppIds.DocumentApi);
            // Per-document information logs would put console writes on the measured path; the real deployment
            // ships logs through OpenTelemetry, not a synchronous console.
            var appSettings = new Dictionary<string, string>(StringComparer.Ordinal)
            {
                ["Logging:LogLevel:Default"] = "Warning",
                ["Logging:LogLevel:Microsoft.AspNetCore"] = "Warning",
            };
            foreach (var (key, value) in settings ?? new Dictionary<string, string>())
            {
                appSettings[key] = value;
            }
            var app = await sidecar.StartAppAsync<documentapi::Program>(appSettings);
            return new DocumentApiHost(environment, sidecar, app);
        }
        catch
        {
            await environment.DisposeAsync();
            throw;
        }
    }

    /// <summary>An HttpClient with the upload+read key; the caller owns it.</summary>
    public HttpClient CreateClient(TimeSpan? timeout = null)
    {
        var http = new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = Timeout.InfiniteTimeSpan })
        {
            BaseAddress = BaseAddress,
            Timeout = timeout ?? TimeSpan.FromMinutes(2),
        };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", ApiKey);
        return http;
    }

    /// <summary>A multipart body of one file, as the portal sends it.</summary>
    public static MultipartFormDataContent UploadBody(HttpContent file, string fileName, string contentType)
    {
        file.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        var form = new MultipartFormDataContent();
        form.Add(file, "file", fileName);
        return form;
    }

    /// <summary>The document id of the first file of a 202 answer.</summary>
    public static async Task<string> DocumentIdAsync(HttpResponseMessage accepted, CancellationToken cancellationToken)
    {
        var body = await accepted.Content.ReadFromJsonAsync<JsonObject>(cancellationToken);
        return body?["documents"]?[0]?["documentId"]?.GetValue<string>()
            ?? throw new InvalidOperationException("The 202 answer names no document.");
    }

    /// <summary>The record's status ("queued", "processing", "processed", "rejected", "duplicate"), or null before the record exists.</summary>
    public static async Task<string?> StatusAsync(HttpClient http, string documentId, CancellationToken cancellationToken)
    {
        using var response = await http.GetAsync($"/documents/{documentId}", cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            return null;
        }
        var record = await response.Content.ReadFromJsonAsync<JsonObject>(cancellationToken);
        return record?["status"]?.GetValue<string>();
    }

    /// <summary>Polls the record until its status is final (processed, rejected or duplicate); gives up after <paramref name="timeout"/>.</summary>
    public static async Task<string> WaitForFinalStatusAsync(HttpClient http, string documentId, TimeSpan poll, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + timeout;
        string? status = null;
        while (DateTime.UtcNow < deadline)
        {
            status = await StatusAsync(http, documentId, cancellationToken);
            // "queued" (accepted, its run not started yet) and "processing" are on the way; anything else is final.
            if (status is not null && !string.Equals(status, "processing", StringComparison.OrdinalIgnoreCase)
                && !string.Equals(status, "queued", StringComparison.OrdinalIgnoreCase))
            {
                return status;
            }
            await Task.Delay(poll, cancellationToken);
        }
        throw new TimeoutException($"Document {documentId} was still '{status ?? "unknown"}' after {timeout.TotalSeconds:F0} s.");
    }

    /// <summary>
    /// Waits until this process uses less than a tenth of a core (at most <paramref name="limit"/>). Activities that
    /// were running when an app stopped finish on the thread pool; the next benchmark must not measure them.
    /// </summary>
    public static async Task WaitForQuietAsync(TimeSpan limit)
    {
        var deadline = DateTime.UtcNow + limit;
        using var self = System.Diagnostics.Process.GetCurrentProcess();
        while (DateTime.UtcNow < deadline)
        {
            self.Refresh();
            var before = self.TotalProcessorTime;
            await Task.Delay(TimeSpan.FromSeconds(1));
            self.Refresh();
            if ((self.TotalProcessorTime - before).TotalSeconds < 0.1)
            {
                return;
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _app.DisposeAsync();
        await _environment.DisposeAsync();
        await WaitForQuietAsync(TimeSpan.FromSeconds(90));
    }
}
