using System.Text.Json;
using Kmrl.ClaimCheck;
using Kmrl.Contracts;
using Kmrl.ServiceDefaults;
using Microsoft.AspNetCore.Hosting;
using Kmrl.Testing.Servers;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Kmrl.Dapr.Testing;

/// <summary>What end-to-end tests do with a sidecar: run a service's production Program next to it, read blobs and events.</summary>
public static class DaprSidecarApps
{
    /// <summary>
    /// Starts the app whose entry point is <typeparamref name="TProgram"/> on a real loopback port (daprd calls apps
    /// back over HTTP, which TestServer cannot take), wired to this sidecar by configuration, and attaches it.
    /// </summary>
    public static async Task<WebApplicationFactory<TProgram>> StartAppAsync<TProgram>(this DaprSidecar sidecar,
        IReadOnlyDictionary<string, string>? settings = null, Action<IWebHostBuilder>? configure = null)
        where TProgram : class
    {
        var factory = new WebApplicationFactory<TProgram>().WithWebHostBuilder(web =>
        {
            foreach (var (key, value) in sidecar.AppConfiguration)
            {
                web.UseSetting(key, value);
            }
            foreach (var (key, value) in settings ?? new Dictionary<string, string>())
            {
                web.UseSetting(key, value);
            }
            if (sidecar.Log is { } write)
            {
                web.ConfigureLogging(logging => logging.AddProvider(new ActionLoggerProvider(sidecar.AppId, write)));
            }
            configure?.Invoke(web);
        });
        // A free loopback port chosen by the OS: test assemblies run in parallel, so no fixed port.
        factory.UseKestrel(kestrel => kestrel.Listen(System.Net.IPAddress.Loopback, 0));
        factory.StartServer();
        await sidecar.AttachAppAsync(factory.ClientOptions.BaseAddress);
        return factory;
    }

    /// <summary>document-api's setting for its Lucene index folder (<c>LuceneSearchOptions.IndexPath</c> in Kmrl.Search).</summary>
    public const string SearchIndexPathSetting = "Search:Lucene:IndexPath";

    /// <summary>
    /// Starts document-api (<typeparamref name="TProgram"/> is its Program) as <see cref="StartAppAsync{TProgram}"/> does,
    /// with a Lucene index folder of its own. Every document-api in one test process would otherwise open the same
    /// default folder, and the second writer fails to take the index lock (R4 answered 500). The folder is deleted when
    /// the app is disposed; a test that restarts document-api on the same index passes <paramref name="searchIndexPath"/>
    /// (a folder it owns) to both starts.
    /// </summary>
    public static async Task<WebApplicationFactory<TProgram>> StartDocumentApiAsync<TProgram>(this DaprSidecar sidecar,
        IReadOnlyDictionary<string, string>? settings = null, Action<IWebHostBuilder>? configure = null, string? searchIndexPath = null)
        where TProgram : class
    {
        var own = searchIndexPath is null ? new TempDirectory("document-api-search") : null;
        var withIndex = new Dictionary<string, string>(settings ?? new Dictionary<string, string>(), StringComparer.Ordinal)
        {
            [SearchIndexPathSetting] = searchIndexPath ?? own!.Path,
        };
        try
        {
            return await sidecar.StartAppAsync<TProgram>(withIndex, web =>
            {
                if (own is not null)
                {
                    // Disposed with the app's container, so the folder goes when the test disposes the app.
                    web.ConfigureServices(services => services.AddHostedService(_ => new FolderRemover(own)));
                }
                configure?.Invoke(web);
            });
        }
        catch
        {
            own?.Dispose();
            throw;
        }
    }

    /// <summary>Reads a claim-checked blob back through this sidecar's blob binding, as a consumer would.</summary>
    public static async Task<byte[]> ReadBlobAsync(this DaprSidecar sidecar, BlobReference blob)
    {
        using var client = sidecar.CreateClient();
        var options = Options.Create(new ClaimCheckOptions());
        var store = new ChunkedContentStore(new DaprBindingBlobStorage(client, options), options);
        await using var content = await store.OpenReadAsync(blob, CancellationToken.None);
        using var copy = new MemoryStream();
        await content.CopyToAsync(copy);
        return copy.ToArray();
    }

    /// <summary>Waits for <paramref name="count"/> events on a topic and returns their CloudEvent data as <typeparamref name="T"/>.</summary>
    public static async Task<IReadOnlyList<T>> WaitForEventsAsync<T>(this DaprTestEnvironment environment, string topic, int count, TimeSpan? timeout = null)
    {
        var events = await environment.WaitForPublishedAsync(topic, count, timeout ?? TimeSpan.FromSeconds(60));
        return events.Select(e => e.GetProperty("data").Deserialize<T>(KmrlJson.Options)!).ToList();
    }

    private sealed class FolderRemover(TempDirectory folder) : IHostedService, IDisposable
    {
        public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public void Dispose() => folder.Dispose();
    }
}
