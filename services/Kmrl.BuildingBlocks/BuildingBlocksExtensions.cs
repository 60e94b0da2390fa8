using Kmrl.BuildingBlocks.PubSub;
using Kmrl.BuildingBlocks.Secrets;
using Kmrl.BuildingBlocks.State;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Kmrl.BuildingBlocks;

public static class BuildingBlocksExtensions
{
    /// <summary>
    /// The Dapr adapters behind the shared ports: state, secrets, pub/sub. The DaprClient they use is registered by the host
    /// (AddServiceDefaults, AddConnectorHost) with the shared JSON options. TryAdd throughout: a test, or an app with
    /// its own adapter, registers first and wins; calling this twice is harmless.
    /// </summary>
    public static IServiceCollection AddDaprBuildingBlocks(this IServiceCollection services)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<IStateStore, DaprStateStore>();
        services.TryAddSingleton<ISecretProvider, DaprSecretProvider>();
        services.TryAddSingleton<IEventPublisher, DaprEventPublisher>();
        return services;
    }
}
