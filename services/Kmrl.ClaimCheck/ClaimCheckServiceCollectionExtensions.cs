using Kmrl.ClaimCheck;
using Microsoft.Extensions.Configuration;

namespace Microsoft.Extensions.DependencyInjection;

public static class ClaimCheckServiceCollectionExtensions
{
    /// <summary>
    /// The chunked claim check over the Dapr blob binding (section <c>ClaimCheck</c>). Needs a registered
    /// <c>DaprClient</c> (AddServiceDefaults registers it).
    /// </summary>
    public static IServiceCollection AddDocumentContentStore(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<ClaimCheckOptions>()
            .Bind(configuration.GetSection(ClaimCheckOptions.SectionName))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddSingleton<IBlobStorage, DaprBindingBlobStorage>();
        services.AddSingleton<IDocumentContentStore, ChunkedContentStore>();
        return services;
    }
}
