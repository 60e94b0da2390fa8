using Kmrl.BuildingBlocks.PubSub;
using Kmrl.ClaimCheck;
using Kmrl.Connectors.Ports;
using Kmrl.Connectors.Sync;
using Kmrl.Connectors.Testing;
using Kmrl.Connectors.WhatsApp.Media;
using Kmrl.Contracts;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Kmrl.Connectors.WhatsApp.Tests.Fakes;

/// <summary>
/// The real connector host (runner, inbox, filters, claim check) with in-memory ports, draining the WhatsApp source
/// whose media API talks to <see cref="FakeCloudApi"/> over <paramref name="http"/>.
/// </summary>
internal sealed class WhatsAppHost : IAsyncDisposable
{
    public WhatsAppHost(HttpClient http, WhatsAppOptions settings, IWhatsAppMediaApi? api = null)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            // Fast retries: these tests are about what is retried, not how long the waits are.
            ["Connector:RetryBaseDelay"] = "00:00:00.001",
            ["Connector:RetryMaxDelay"] = "00:00:00.010",
            ["Connector:MaxDocumentAttempts"] = "3",
        }).Build();
        var options = Options.Create(settings);
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddConnectorHost(configuration, DocumentSources.WhatsApp, DaprNames.Bindings.WhatsAppSchedule);
        services.AddSingleton<ISyncLock, GrantingSyncLock>();
        services.AddSingleton<ICheckpointStore, InMemoryCheckpointStore>();
        services.AddSingleton<IEventPublisher>(Publisher);
        services.AddSingleton<ISkippedItemStore>(Skipped);
        services.AddSingleton<IBlobStorage, InMemoryBlobStorage>();
        services.AddSingleton<IInboxStore>(Inbox);
        services.AddSingleton(options);
        services.AddSingleton<WhatsAppMetrics>();
        services.AddSingleton(api ?? new WhatsAppMediaClient(http, new FakeSecrets(), options));
        services.AddInboxSource<WhatsAppMediaSource, MediaMessage>();
        Services = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true });
        SourceName = settings.SourceName;
    }

    public ServiceProvider Services { get; }

    public string SourceName { get; }

    public InMemoryInboxStore Inbox { get; } = new();

    public RecordingPublisher Publisher { get; } = new();

    public InMemorySkippedItems Skipped { get; } = new();

    public IReadOnlyList<DeadLetteredItem> DeadLetters => [.. Skipped.Items.OfType<DeadLetteredItem>()];

    public bool IsPending(string messageId) => Inbox.All.Any(e => e.Message.MessageId == messageId && !e.Completed);

    public Task<bool> EnqueueAsync(MediaMessage message) =>
        Services.GetRequiredService<ISourceInbox>().EnqueueAsync(SourceName, message.MessageId, message, CancellationToken.None);

    public Task<SyncRunResult> RunAsync() =>
        Services.GetRequiredService<SyncRunner>().RunAsync(Services.GetServices<IDocumentSource>().Single(), CancellationToken.None);

    /// <summary>The bytes a published document's claim check holds.</summary>
    public async Task<byte[]> ContentOfAsync(DocumentDiscovered discovered)
    {
        await using var stream = await Services.GetRequiredService<IDocumentContentStore>().OpenReadAsync(discovered.Blob, CancellationToken.None);
        using var buffer = new MemoryStream();
        await stream.CopyToAsync(buffer);
        return buffer.ToArray();
    }

    public ValueTask DisposeAsync() => Services.DisposeAsync();
}
