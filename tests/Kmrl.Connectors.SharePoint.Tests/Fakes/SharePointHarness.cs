using System.Security.Cryptography;
using Kmrl.Connectors.SharePoint.Extensions;
using Kmrl.Contracts;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Kiota.Abstractions.Authentication;

namespace Kmrl.Connectors.SharePoint.Tests.Fakes;

/// <summary>A token provider that, like the production one, only hands its token to the Graph host.</summary>
public sealed class FakeTokenProvider : IAccessTokenProvider
{
    public AllowedHostsValidator AllowedHostsValidator { get; } = new(["127.0.0.1"]);

    public Task<string> GetAuthorizationTokenAsync(Uri uri, Dictionary<string, object>? additionalAuthenticationContext = null,
        CancellationToken cancellationToken = default) =>
        Task.FromResult(AllowedHostsValidator.IsUrlHostValid(uri) ? FakeGraph.Token : string.Empty);
}

public sealed record ReadDocument(SourceDocument Document, byte[] Content);

public sealed record SourceRun(IReadOnlyList<ReadDocument> Documents, IReadOnlyList<SourceTombstone> Tombstones, string? Checkpoint, int Checkpoints);

/// <summary>
/// The connector app's registrations (AddSharePointConnector) with only the Graph base URL and the token provider
/// swapped, plus the host's part of the contract: read content, keep the last checkpoint, and a downstream that
/// publishes each idempotency key once.
/// </summary>
public sealed class SharePointHarness : IDisposable
{
    private readonly IHost _host;

    public SharePointHarness(FakeGraph graph, IDictionary<string, string?> settings)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { EnvironmentName = "Testing" });
        builder.Logging.ClearProviders();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>(settings)
        {
            ["SharePoint:GraphBaseUrl"] = graph.GraphBaseUrl.ToString(),
        });
        builder.AddSharePointConnector();
        builder.Services.RemoveAll<IAccessTokenProvider>();
        builder.Services.AddSingleton<IAccessTokenProvider, FakeTokenProvider>();
        _host = builder.Build();
    }

    public IReadOnlyList<IDocumentSource> Sources => _host.Services.GetServices<IDocumentSource>().ToList();

    public IDocumentSource Source => Sources.Single();

    /// <summary>Idempotency key → times published; what "no duplicates downstream" is measured on.</summary>
    public Dictionary<string, int> Published { get; } = [];

    public async Task<SourceRun> RunAsync(string? checkpoint)
    {
        var documents = new List<ReadDocument>();
        var tombstones = new List<SourceTombstone>();
        string? last = checkpoint;
        var count = 0;
        await foreach (var change in Source.ReadChangesAsync(checkpoint, CancellationToken.None))
        {
            switch (change)
            {
                case SourceDocument document:
                    await using (var stream = await document.OpenContentAsync(CancellationToken.None))
                    {
                        using var buffer = new MemoryStream();
                        await stream.CopyToAsync(buffer);
                        documents.Add(new ReadDocument(document, buffer.ToArray()));
                        var key = IdempotencyKey.For(DocumentSources.SharePoint, document.SourceId,
                            Convert.ToHexStringLower(SHA256.HashData(buffer.ToArray())));
                        Published[key] = Published.GetValueOrDefault(key) + 1;
                    }
                    break;
                case SourceTombstone tombstone:
                    tombstones.Add(tombstone);
                    break;
                case SourceCheckpoint marker:
                    last = marker.Value;
                    count++;
                    if (marker.AfterCommitAsync is not null)
                    {
                        await marker.AfterCommitAsync(CancellationToken.None);
                    }
                    break;
            }
        }
        return new SourceRun(documents, tombstones, last, count);
    }

    public void Dispose() => _host.Dispose();
}
