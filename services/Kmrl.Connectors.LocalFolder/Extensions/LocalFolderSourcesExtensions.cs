using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Kmrl.Connectors.LocalFolder;

public static class LocalFolderSourcesExtensions
{
    /// <summary>Registers one <see cref="HotFolderSource"/> per folder in section <c>LocalFolder:Folders</c>.</summary>
    public static TBuilder AddLocalFolderSources<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddLocalFolderSources(builder.Configuration);
        return builder;
    }

    public static IServiceCollection AddLocalFolderSources(this IServiceCollection services, IConfiguration configuration)
    {
        var section = configuration.GetSection(LocalFolderOptions.SectionName);
        services.AddOptions<LocalFolderOptions>().Bind(section).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<LocalFolderOptions>, LocalFolderOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);

        // The list decides how many sources exist, so it is read now; values are validated again at start.
        var configured = section.Get<LocalFolderOptions>() ?? new LocalFolderOptions();
        for (var i = 0; i < configured.Folders.Count; i++)
        {
            var index = i;
            services.AddDocumentSource(provider => new HotFolderSource(
                provider.GetRequiredService<IOptions<LocalFolderOptions>>().Value.Folders[index],
                provider.GetRequiredService<ILogger<HotFolderSource>>(),
                provider.GetRequiredService<TimeProvider>()));
        }
        return services;
    }
}
