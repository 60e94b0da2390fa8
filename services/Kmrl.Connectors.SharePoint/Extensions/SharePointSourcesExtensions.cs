using Kmrl.Connectors.SharePoint.Graph;
using Microsoft.Extensions.Options;
using Microsoft.Graph;
using Microsoft.Kiota.Abstractions.Authentication;

namespace Kmrl.Connectors.SharePoint;

public static class SharePointSourcesExtensions
{
    /// <summary>
    /// One <see cref="IDocumentSource"/> per configured library, over one <see cref="GraphServiceClient"/> built by
    /// <see cref="GraphClientConstruction"/> with app-only tokens from the secret store. Call after
    /// <c>AddConnectorHost</c>, which runs them.
    /// </summary>
    public static TBuilder AddSharePointSources<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddSharePointSources(builder.Configuration);
        return builder;
    }

    public static IServiceCollection AddSharePointSources(this IServiceCollection services, IConfiguration configuration)
    {
        var section = configuration.GetSection(SharePointOptions.SectionName);
        services.AddOptions<SharePointOptions>()
            .Bind(section)
            .ValidateDataAnnotations()
            .ValidateOnStart();

        services.AddSingleton<IAccessTokenProvider, ClientSecretTokenProvider>();
        services.AddSingleton(provider =>
        {
            var settings = provider.GetRequiredService<IOptions<SharePointOptions>>().Value;
            return GraphClientConstruction.Create(provider.GetRequiredService<IAccessTokenProvider>(), settings.GraphBaseUrl, settings.MaxRetries);
        });

        // The number of sources is fixed by configuration at start-up.
        var libraries = section.Get<SharePointOptions>()?.Libraries ?? [];
        for (var index = 0; index < libraries.Count; index++)
        {
            var position = index;
            services.AddDocumentSource(provider =>
            {
                var settings = provider.GetRequiredService<IOptions<SharePointOptions>>().Value;
                return new SharePointDriveSource(
                    provider.GetRequiredService<GraphServiceClient>(),
                    settings,
                    settings.Libraries[position],
                    provider.GetRequiredService<ILogger<SharePointDriveSource>>());
            });
        }
        return services;
    }
}
