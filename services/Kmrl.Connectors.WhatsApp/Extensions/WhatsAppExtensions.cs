using Kmrl.Connectors.WhatsApp.Apis;
using Kmrl.Connectors.WhatsApp.Media;
using Kmrl.Connectors.WhatsApp.Pending;
using Kmrl.Connectors.WhatsApp.Webhooks;
using Microsoft.Extensions.Options;

namespace Kmrl.Connectors.WhatsApp.Extensions;

public static class WhatsAppExtensions
{
    /// <summary>
    /// The WhatsApp source, webhook intake and their Dapr adapters. Call after <c>AddConnectorHost</c>: the host
    /// provides <see cref="ISyncRequests"/> and runs the registered <see cref="IDocumentSource"/>.
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
        services.AddTransient<IStartupFilter, WebhookPortFilter>();

        services.AddHttpClient<IWhatsAppMediaApi, WhatsAppMediaClient>((provider, http) =>
                http.Timeout = provider.GetRequiredService<IOptions<WhatsAppOptions>>().Value.HttpTimeout)
            // No automatic redirects: the client follows a redirect itself, and only to an allowed https media host.
            .UseSocketsHttpHandler((handler, _) => handler.AllowAutoRedirect = false);

        services.AddDocumentSource<WhatsAppMediaSource>();
        return builder;
    }
}
