using Kmrl.BuildingBlocks.PubSub;
using Kmrl.ClaimCheck;
using Kmrl.Connectors.Ports;
using Kmrl.Connectors.Sync;
using Kmrl.Connectors.Testing;
using Kmrl.Connectors.WhatsApp.Media;
using Kmrl.Contracts;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Kmrl.Connectors.WhatsApp.Tests.Fakes;

/// <summary>
/// The kit's <see cref="ContractHost"/> with the app's own registration (<c>AddWhatsAppSources</c>), draining the
/// WhatsApp source whose media API talks to <see cref="FakeCloudApi"/> over <paramref name="http"/> (or is
/// <paramref name="api"/>), plus the verbs these tests speak: enqueue a message, run, look into the inbox.
/// </summary>
internal sealed class WhatsAppHost : IAsyncDisposable
{
    private readonly ContractHost _host;

    public WhatsAppHost(HttpClient http, WhatsAppOptions settings, IWhatsAppMediaApi? api = null)
    {
        var options = Options.Create(settings);
        _host = new ContractHost(new ContractOptions
        {
            Connector = DocumentSources.WhatsApp,
            ScheduleBinding = DaprNames.Bindings.WhatsAppSchedule,
            Ports = new ConnectorPorts { Secrets = WhatsAppSecrets.Create() },
            // Fast retries: these tests are about what is retried, not how long the waits are.
            Settings = new Dictionary<string, string?>
            {
                ["Connector:RetryBaseDelay"] = "00:00:00.001",
                ["Connector:RetryMaxDelay"] = "00:00:00.010",
                ["Connector:MaxDocumentAttempts"] = "3",
            },
            ThrowOnFailure = false,
        }, builder =>
        {
            builder.AddWhatsAppSources();
            builder.Services.RemoveAll<IOptions<WhatsAppOptions>>().AddSingleton(options);
            builder.Services.RemoveAll<IWhatsAppMediaApi>().AddSingleton(provider =>
                api ?? new WhatsAppMediaClient(http, provider.GetRequiredService<BuildingBlocks.Secrets.ISecretProvider>(), options));
        });
        SourceName = settings.SourceName;
    }

    public string SourceName { get; }

    public InMemoryInboxStore Inbox => _host.Ports.Inbox;

    public RecordingPublisher Publisher => _host.Ports.Publisher;

    public IReadOnlyList<DeadLetteredItem> DeadLetters => _host.Ports.SkippedItems.DeadLetters;

    public bool IsPending(string messageId) => Inbox.All.Any(e => e.Message.MessageId == messageId && !e.Completed);

    public Task<bool> EnqueueAsync(MediaMessage message) =>
        _host.Get<ISourceInbox>().EnqueueAsync(SourceName, message.MessageId, message, CancellationToken.None);

    public Task<SyncRunResult> RunAsync() => _host.Get<SyncRunner>().RunAsync(_host.Source, CancellationToken.None);

    /// <summary>The bytes a published document's claim check holds.</summary>
    public async Task<byte[]> ContentOfAsync(DocumentDiscovered discovered)
    {
        await using var stream = await _host.Get<IDocumentContentStore>().OpenReadAsync(discovered.Blob, CancellationToken.None);
        using var buffer = new MemoryStream();
        await stream.CopyToAsync(buffer);
        return buffer.ToArray();
    }

    public ValueTask DisposeAsync() => _host.DisposeAsync();
}
