using Kmrl.BuildingBlocks;
using Kmrl.BuildingBlocks.PubSub;
using Kmrl.BuildingBlocks.State;
using Kmrl.Connectors;
using Kmrl.Connectors.Dapr;
using Kmrl.Connectors.Hosting;
using Kmrl.Connectors.Observability;
using Kmrl.Connectors.Ports;
using Kmrl.Connectors.Sync;
using Kmrl.ServiceDefaults;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

public static class ConnectorHostExtensions
{
    /// <summary>
    /// The connector host: scheduling, single-flight locks, checkpoints, claim check, publishing, retries, rate limit,
    /// metrics, status and health (section <c>Connector</c>, claim check section <c>ClaimCheck</c>), and in a web app
    /// the routes' credentials (<see cref="ConnectorSecurity"/>). Register the
    /// sources with <see cref="AddDocumentSource{TSource}(IServiceCollection)"/> and map the API with
    /// <c>app.MapConnectorHostApi()</c>.
    /// </summary>
    /// <param name="connectorName">Names the connector in keys, metrics and alerts; also the events' default
    /// <c>Source</c>, so a <c>DocumentSources</c> value (e.g. <c>DocumentSources.Email</c>) is the natural choice.</param>
    /// <param name="scheduleBindingName">The cron input binding (a <c>DaprNames.Bindings</c> value).</param>
    public static TBuilder AddConnectorHost<TBuilder>(this TBuilder builder, string connectorName, string scheduleBindingName)
        where TBuilder : IHostApplicationBuilder
    {
        builder.Services.AddConnectorHost(builder.Configuration, connectorName, scheduleBindingName);
        if (builder is Microsoft.AspNetCore.Builder.WebApplicationBuilder)
        {
            // The routes' credentials (operator keys, app token): only a web app has routes to guard.
            builder.Services.AddConnectorHostSecurity();
        }
        return builder;
    }

    public static IServiceCollection AddConnectorHost(this IServiceCollection services, IConfiguration configuration, string connectorName, string scheduleBindingName)
    {
        services.AddOptions<ConnectorHostOptions>()
            .Bind(configuration.GetSection(ConnectorHostOptions.SectionName))
            .PostConfigure(options =>
            {
                options.ConnectorName = connectorName;
                options.ScheduleBindingName = scheduleBindingName;
            })
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ConnectorHostOptions>, ConnectorHostOptionsValidator>());

        services.AddDaprClient(client => client.UseJsonSerializationOptions(KmrlJson.Options));
        services.AddDocumentContentStore(configuration);
        services.AddMetrics();
        services.AddDaprBuildingBlocks();

        services.TryAddSingleton<ISyncLock, DaprSyncLock>();
        services.TryAddSingleton<ICheckpointStore, DaprCheckpointStore>();
        services.TryAddSingleton<DaprSkippedItemStore>();
        services.TryAddSingleton<ISkippedItemStore>(provider => provider.GetRequiredService<DaprSkippedItemStore>());
        services.TryAddSingleton<IDeadLetterLog>(provider => provider.GetRequiredService<DaprSkippedItemStore>());
        services.TryAddSingleton<IInboxStore, StateStoreInbox>();
        services.TryAddSingleton<ISourceInbox, SourceInbox>();

        services.TryAddSingleton<ConnectorStatusRegistry>();
        services.TryAddSingleton<ConnectorMetrics>();
        services.TryAddSingleton<ConnectorSyncHealthCheck>();
        services.TryAddSingleton<DocumentFilter>();
        services.TryAddSingleton<SourceRateLimiters>();
        services.TryAddSingleton<RetryBackoff>();
        services.TryAddSingleton<InfrastructureRetry>();
        services.TryAddSingleton<SkippedItemRecorder>();
        services.TryAddSingleton<DocumentHandOff>();
        services.TryAddSingleton<SyncRunServices>();
        services.TryAddSingleton<SyncRunner>();
        services.TryAddSingleton<SyncScheduler>();
        services.TryAddSingleton<ISyncRequests>(provider => provider.GetRequiredService<SyncScheduler>());
        // Before the scheduler: the failed runs a previous process counted are back before the first run.
        services.TryAddSingleton<KeptSourceStates>();
        services.AddHostedService(provider => provider.GetRequiredService<KeptSourceStates>());
        services.AddHostedService(provider => provider.GetRequiredService<SyncScheduler>());
        services.AddHostedService<PushTriggerWatcher>();

        services.AddHealthChecks().Add(new HealthCheckRegistration(
            ConnectorSyncHealthCheck.Name, provider => provider.GetRequiredService<ConnectorSyncHealthCheck>(), HealthStatus.Degraded, ["ready"]));
        return services;
    }

    /// <summary>
    /// Registers a source; when it also implements <see cref="IPushTrigger"/>, the host watches it. Call once per
    /// source; several sources per app are fine as long as their names differ.
    /// </summary>
    public static IServiceCollection AddDocumentSource<TSource>(this IServiceCollection services) where TSource : class, IDocumentSource
    {
        services.TryAddSingleton<TSource>();
        services.AddSingleton<IDocumentSource>(provider => provider.GetRequiredService<TSource>());
        return services;
    }

    /// <summary>
    /// Registers a push source: its webhook calls <see cref="ISourceInbox.EnqueueAsync{TItem}"/>, and the host drains
    /// the inbox with the same runner, attempts and dead letters as a pull source.
    /// </summary>
    public static IServiceCollection AddInboxSource<TSource, TItem>(this IServiceCollection services)
        where TSource : class, IInboxSource<TItem>
        where TItem : class
    {
        services.TryAddSingleton<TSource>();
        services.AddSingleton<IDocumentSource>(provider => ActivatorUtilities.CreateInstance<InboxDocumentSource<TItem>>(
            provider, provider.GetRequiredService<TSource>()));
        return services;
    }

    /// <summary>Registers a source built by <paramref name="factory"/>, e.g. one per configured mailbox folder.</summary>
    public static IServiceCollection AddDocumentSource(this IServiceCollection services, Func<IServiceProvider, IDocumentSource> factory)
    {
        services.AddSingleton(factory);
        return services;
    }
}
