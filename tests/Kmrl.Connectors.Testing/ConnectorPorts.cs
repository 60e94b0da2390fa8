using Kmrl.BuildingBlocks.PubSub;
using Kmrl.BuildingBlocks.Secrets;
using Kmrl.ClaimCheck;
using Kmrl.Connectors.Ports;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Kmrl.Connectors.Testing;

/// <summary>The connector host's Dapr ports, its secret store and its blob store, all in memory, as one set.</summary>
public sealed class ConnectorPorts
{
    public GrantingSyncLock Lock { get; init; } = new();

    public InMemoryCheckpointStore Checkpoints { get; init; } = new();

    public RecordingPublisher Publisher { get; init; } = new();

    public InMemorySkippedItems SkippedItems { get; init; } = new();

    public InMemoryBlobStorage Blobs { get; init; } = new();

    public InMemorySecrets Secrets { get; init; } = new();

    /// <summary>Puts these in place of whatever <c>AddConnectorHost</c> and <c>AddServiceDefaults</c> registered.</summary>
    public IServiceCollection ReplaceIn(IServiceCollection services)
    {
        services.RemoveAll<ISyncLock>().AddSingleton<ISyncLock>(Lock);
        services.RemoveAll<ICheckpointStore>().AddSingleton<ICheckpointStore>(Checkpoints);
        services.RemoveAll<IEventPublisher>().AddSingleton<IEventPublisher>(Publisher);
        services.RemoveAll<ISkippedItemStore>().AddSingleton<ISkippedItemStore>(SkippedItems);
        services.RemoveAll<IBlobStorage>().AddSingleton<IBlobStorage>(Blobs);
        services.RemoveAll<ISecretProvider>().AddSingleton<ISecretProvider>(Secrets);
        return services;
    }
}
