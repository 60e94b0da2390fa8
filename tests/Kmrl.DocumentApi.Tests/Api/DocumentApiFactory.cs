using Kmrl.BuildingBlocks.PubSub;
using Kmrl.BuildingBlocks.Secrets;
using Kmrl.BuildingBlocks.State;
using Kmrl.ClaimCheck;
using Kmrl.DocumentApi.Ports;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;

namespace Kmrl.DocumentApi.Tests.Api;

/// <summary>
/// The real app with its ports on in-memory fakes: state store, blob storage (under the real chunked claim check),
/// pub/sub, secret store and the workflow runtime. The Dapr workflow worker is removed: there is no sidecar.
/// </summary>
public sealed class DocumentApiFactory : WebApplicationFactory<Program>
{
    public const string UploadKey = "portal-key-0123456789abcdef";
    public const string ReadKey = "records-key-0123456789abcdef";
    public const string SidecarToken = "sidecar-token-0123456789";
    public const int MaxFileBytes = 64 * 1024;
    public const int MaxFiles = 3;

    public InMemoryStateStore State { get; } = new();
    public InMemoryBlobStorage Blobs { get; } = new();
    public RecordingEvents Events { get; } = new();
    public FakeDocumentWorkflows Workflows { get; } = new();

    /// <summary>Each factory's own search index (Lucene holds a write lock on its directory).</summary>
    public string SearchIndexPath { get; } = Directory.CreateTempSubdirectory("kmrl-search-").FullName;

    private sealed class StaticSecrets : ISecretProvider
    {
        private static readonly Dictionary<string, Dictionary<string, string>> Secrets = new()
        {
            ["document-api-api-keys"] = new()
            {
                ["kmrl-portal"] = UploadKey + ";upload,read",
                ["records-office"] = ReadKey + ";read",
                ["placeholder"] = "short;upload,read",
            },
            ["redis-password"] = new() { ["redis-password"] = "not-an-api-key" },
        };

        public Task<string> GetSecretAsync(string name, string key, CancellationToken cancellationToken) =>
            Secrets.TryGetValue(name, out var values) && values.TryGetValue(key, out var value)
                ? Task.FromResult(value)
                : throw new SecretNotFoundException(name, key, "static");

        public Task<IReadOnlyDictionary<string, string>> GetSecretValuesAsync(string name, CancellationToken cancellationToken) =>
            Secrets.TryGetValue(name, out var values)
                ? Task.FromResult<IReadOnlyDictionary<string, string>>(values)
                : throw new SecretNotFoundException(name, key: null, "static");
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        builder.UseSetting("APP_API_TOKEN", SidecarToken);
        builder.UseSetting("DocumentApi:Upload:MaxFileBytes", MaxFileBytes.ToString(System.Globalization.CultureInfo.InvariantCulture));
        builder.UseSetting("DocumentApi:Upload:MaxFiles", MaxFiles.ToString(System.Globalization.CultureInfo.InvariantCulture));
        builder.UseSetting("ClaimCheck:ChunkSizeBytes", "16384");
        builder.UseSetting("Search:Lucene:IndexPath", SearchIndexPath);
        builder.ConfigureTestServices(services =>
        {
            services.RemoveAll<IStateStore>();
            services.AddSingleton<IStateStore>(State);
            services.RemoveAll<IBlobStorage>();
            services.AddSingleton<IBlobStorage>(Blobs);
            services.RemoveAll<IEventPublisher>();
            services.AddSingleton<IEventPublisher>(Events);
            services.RemoveAll<ISecretProvider>();
            services.AddSingleton<ISecretProvider, StaticSecrets>();
            services.RemoveAll<IDocumentWorkflows>();
            services.AddSingleton<IDocumentWorkflows>(Workflows);
            foreach (var worker in services.Where(d => d.ServiceType == typeof(IHostedService)
                         && (d.ImplementationType ?? d.ImplementationInstance?.GetType())?.Assembly.GetName().Name?.StartsWith("Dapr.Workflow", StringComparison.Ordinal) == true).ToList())
            {
                services.Remove(worker);
            }
        });
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing && Directory.Exists(SearchIndexPath)) Directory.Delete(SearchIndexPath, recursive: true);
    }

    public HttpClient ClientWith(string? apiKey)
    {
        var client = CreateClient();
        if (apiKey is not null) client.DefaultRequestHeaders.Authorization = new("Bearer", apiKey);
        return client;
    }
}
