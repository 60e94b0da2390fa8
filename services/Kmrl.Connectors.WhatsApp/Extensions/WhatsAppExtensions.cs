using Kmrl.Connectors.WhatsApp.Media;
using Kmrl.Connectors.WhatsApp.Pending;
using Kmrl.Connectors.WhatsApp.Webhooks;
using Microsoft.Extensions.Options;

namespace Kmrl.Connectors.WhatsApp.Extensions;

public static class WhatsAppExtensions
{
    /// <summary>
    /// The WhatsApp source, webhook intake and their Dapr adapters. <see cref="ISyncRequests"/> comes from the
    /// connector host, which also runs the registered <see cref="IDocumentSource"/>.
    /// </summary>
    public static TBuilder AddWhatsAppConnector<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        var services = builder.Services;
        services.AddOptions<WhatsAppOptions>()
            .Bind(builder.Configuration.GetSection(WhatsAppOptions.SectionName))
            .ValidateDataAnnotations()
            .ValidateOnStart();

        services.AddMetrics();
        services.AddSingleton<WhatsAppMetrics>();
        services.AddSingleton<IPendingMediaStore, DaprPendingMediaStore>();
        services.AddSingleton<WebhookIntake>();

        services.AddHttpClient<IWhatsAppMediaApi, WhatsAppMediaClient>((provider, http) =>
            http.Timeout = provider.GetRequiredService<IOptions<WhatsAppOptions>>().Value.HttpTimeout);

        services.AddSingleton<WhatsAppMediaSource>();
        services.AddSingleton<IDocumentSource>(provider => provider.GetRequiredService<WhatsAppMediaSource>());
        return builder;
    }
}
