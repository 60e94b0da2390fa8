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

    private sealed class StaticSecrets : ISecretProvider
    {
        public Task<IReadOnlyDictionary<string, string>> GetAllAsync(CancellationToken cancellationToken) =>
            Task.FromResult<IReadOnlyDictionary<string, string>>(new Dictionary<string, string>
            {
                ["document-api:api-keys:kmrl-portal"] = UploadKey + ";upload,read",
                ["document-api:api-keys:records-office"] = ReadKey + ";read",
                ["document-api:api-keys:placeholder"] = "short;upload,read",
                ["redis-password"] = "not-an-api-key",
            });
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        builder.UseSetting("APP_API_TOKEN", SidecarToken);
        builder.UseSetting("DocumentApi:Upload:MaxFileBytes", MaxFileBytes.ToString(System.Globalization.CultureInfo.InvariantCulture));
        builder.UseSetting("DocumentApi:Upload:MaxFiles", MaxFiles.ToString(System.Globalization.CultureInfo.InvariantCulture));
        builder.UseSetting("ClaimCheck:ChunkSizeBytes", "16384");
        builder.ConfigureTestServices(services =>
        {
            services.RemoveAll<IStateStore>();
            services.AddSingleton<IStateStore>(State);
            services.RemoveAll<IBlobStorage>();
            services.AddSingleton<IBlobStorage>(Blobs);
            services.RemoveAll<IDocumentEvents>();
            services.AddSingleton<IDocumentEvents>(Events);
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

    public HttpClient ClientWith(string? apiKey)
    {
        var client = CreateClient();
        if (apiKey is not null) client.DefaultRequestHeaders.Authorization = new("Bearer", apiKey);
        return client;
    }
}
