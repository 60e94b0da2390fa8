using System.Text.Json;
using Kmrl.ClaimCheck;
using Kmrl.Contracts;
using Kmrl.ServiceDefaults;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
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
}
