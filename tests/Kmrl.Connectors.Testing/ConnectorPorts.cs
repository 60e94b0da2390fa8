using Kmrl.BuildingBlocks.PubSub;
using Kmrl.BuildingBlocks.Secrets;
using Kmrl.ClaimCheck;
using Kmrl.Connectors.Ports;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Kmrl.Connectors.Testing;

/// <summary>
/// The connector host's Dapr ports, its secret store and its blob store, all in memory, as one set. Ports are shared
/// objects: a second host over the same set is a restart (what was stored survives, what was in memory does not).
/// </summary>
/// <param name="time">The clock the lock's leases expire by (a test's fake clock); the system's by default.</param>
/// <param name="keepContent">False: chunks are counted and dropped (<see cref="InMemoryBlobStorage.KeepContent"/>).</param>
public sealed class ConnectorPorts(TimeProvider? time = null, bool keepContent = true)
{
    public InMemorySyncLock Lock { get; init; } = new(time);

    public InMemoryCheckpointStore Checkpoints { get; init; } = new();

    public RecordingPublisher Publisher { get; init; } = new();

    public InMemorySkippedItems SkippedItems { get; init; } = new();

    public InMemoryInboxStore Inbox { get; init; } = new();

    public InMemoryBlobStorage Blobs { get; init; } = new() { KeepContent = keepContent };

    public InMemorySecrets Secrets { get; init; } = new();

    /// <summary>Puts these in place of whatever <c>AddConnectorHost</c> and <c>AddServiceDefaults</c> registered.</summary>
    public IServiceCollection ReplaceIn(IServiceCollection services)
    {
        services.RemoveAll<ISyncLock>().AddSingleton<ISyncLock>(Lock);
        services.RemoveAll<ICheckpointStore>().AddSingleton<ICheckpointStore>(Checkpoints);
        services.RemoveAll<IEventPublisher>().AddSingleton<IEventPublisher>(Publisher);
        services.RemoveAll<ISkippedItemStore>().AddSingleton<ISkippedItemStore>(SkippedItems);
        services.RemoveAll<IDeadLetterLog>().AddSingleton<IDeadLetterLog>(SkippedItems);
        services.RemoveAll<IInboxStore>().AddSingleton<IInboxStore>(Inbox);
        services.RemoveAll<IBlobStorage>().AddSingleton<IBlobStorage>(Blobs);
        services.RemoveAll<ISecretProvider>().AddSingleton<ISecretProvider>(Secrets);
        return services;
    }
}
