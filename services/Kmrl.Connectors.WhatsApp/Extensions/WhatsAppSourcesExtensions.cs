using Kmrl.Connectors.WhatsApp.Apis;
using Kmrl.Connectors.WhatsApp.Media;
using Kmrl.Connectors.WhatsApp.Webhooks;
using Microsoft.Extensions.Options;

namespace Kmrl.Connectors.WhatsApp;

public static class WhatsAppSourcesExtensions
{
    /// <summary>
    /// The WhatsApp source and webhook intake. Call after <c>AddConnectorHost</c>: the host provides the inbox the
    /// webhook writes to (<see cref="ISourceInbox"/>) and drains it through the source.
    /// </summary>
    public static TBuilder AddWhatsAppSources<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddWhatsAppSources(builder.Configuration);
        return builder;
    }

    public static IServiceCollection AddWhatsAppSources(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<WhatsAppOptions>()
            .Bind(configuration.GetSection(WhatsAppOptions.SectionName))
            .ValidateDataAnnotations()
            .ValidateOnStart();

        services.AddMetrics();
        services.AddSingleton<WhatsAppMetrics>();
        services.AddSingleton<WebhookIntake>();
        services.AddTransient<IStartupFilter, WebhookPortFilter>();

        services.AddHttpClient<IWhatsAppMediaApi, WhatsAppMediaClient>((provider, http) =>
                http.Timeout = provider.GetRequiredService<IOptions<WhatsAppOptions>>().Value.HttpTimeout)
            // No automatic redirects: the client follows a redirect itself, and only to an allowed https media host.
            .UseSocketsHttpHandler((handler, _) => handler.AllowAutoRedirect = false);

        services.AddInboxSource<WhatsAppMediaSource, MediaMessage>();
        return services;
    }
}
