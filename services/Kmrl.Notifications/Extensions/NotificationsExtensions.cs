using Dapr.Client;
using Kmrl.BuildingBlocks;
using Kmrl.BuildingBlocks.State;
using Kmrl.Contracts;
using Kmrl.Notifications.Adapters;
using Kmrl.Notifications.Deadlines;
using Kmrl.Notifications.Delivery;
using Kmrl.Notifications.Digests;
using Kmrl.Notifications.Incidents;
using Kmrl.Notifications.Ports;
using Kmrl.ServiceDefaults.Security;

namespace Kmrl.Notifications.Extensions;

public static class NotificationsExtensions
{
    public static WebApplicationBuilder AddNotifications(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<NotificationOptions>()
            .BindConfiguration(NotificationOptions.SectionName)
            .ValidateDataAnnotations()
            .Validate(options => TryZone(options.TimeZone), "Notifications:TimeZone is not a known time zone id.")
            .ValidateOnStart();
        // Only sidecar routes need authenticating here (the acknowledgement carries its own token): daprd's app token.
        services.AddOptions<ApiSecurityOptions>()
            .BindConfiguration(NotificationOptions.SectionName + ":Security")
            .PostConfigure<IConfiguration>((options, configuration) => options.AppApiToken ??= configuration["APP_API_TOKEN"]);

        services.AddDaprBuildingBlocks();
        services.AddSingleton<IRecipientDirectory, SecretStoreRecipientDirectory>();
        services.AddSingleton<INotificationChannel>(provider =>
            new SmtpBindingChannel(provider.GetRequiredService<DaprClient>(), DaprNames.NotificationBindings.Email,
                provider.GetRequiredService<ILogger<SmtpBindingChannel>>()));
        services.AddSingleton<INotificationChannel>(provider =>
            new WebhookBindingChannel(provider.GetRequiredService<DaprClient>(), DaprNames.NotificationBindings.Webhook));
        services.AddSingleton<NotificationDispatcher>();
        services.AddSingleton<IncidentTracker>();
        services.AddSingleton<QuietIncidents>();
        services.AddSingleton<PipelineIncidents>();
        services.AddSingleton<ConnectorDeadLetterIncidents>();
        services.AddSingleton<DeadlineReminders>();
        services.AddSingleton<DepartmentDigests>();
        return builder;
    }

    private static bool TryZone(string id) => TimeZoneInfo.TryFindSystemTimeZoneById(id, out _);
}
