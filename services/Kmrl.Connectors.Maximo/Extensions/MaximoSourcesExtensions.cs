using System.ComponentModel.DataAnnotations;
using Kmrl.BuildingBlocks.Secrets;
using Kmrl.Connectors;
using Kmrl.Connectors.Hosting;
using Kmrl.Connectors.Maximo.Export;
using Kmrl.Connectors.Maximo.RemoteFolders;
using Kmrl.Connectors.Maximo.Rest;
using Kmrl.Contracts;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Kmrl.Connectors.Maximo;

/// <summary>Section <c>Maximo</c>: the REST object structures and export folders this connector reads.</summary>
public sealed class MaximoSourcesOptions
{
    public const string SectionName = "Maximo";

    public List<MaximoRestOptions> Rest { get; set; } = [];

    public List<ExportFolderOptions> ExportFolders { get; set; } = [];
}

public static class MaximoSourcesExtensions
{
    /// <summary>
    /// Registers one <see cref="IDocumentSource"/> per configured REST object structure and export folder (both
    /// optional, enabled by configuration). Export folder events carry <c>DocumentSources.MaximoExport</c> as source.
    /// </summary>
    public static TBuilder AddMaximoSources<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.Services.AddMaximoSources(builder.Configuration);
        return builder;
    }

    public static IServiceCollection AddMaximoSources(this IServiceCollection services, IConfiguration configuration)
    {
        var section = configuration.GetSection(MaximoSourcesOptions.SectionName);
        services.AddOptions<MaximoSourcesOptions>().Bind(section).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<MaximoSourcesOptions>, MaximoSourcesOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.AddMaximoApiClient();

        // The list decides how many sources exist, so it is read now; values are validated again at start.
        var configured = section.Get<MaximoSourcesOptions>() ?? new MaximoSourcesOptions();
        for (var i = 0; i < configured.Rest.Count; i++)
        {
            var index = i;
            services.AddDocumentSource(provider => new MaximoRestSource(
                Options(provider).Rest[index],
                provider.GetRequiredService<MaximoApiClient>(),
                provider.GetRequiredService<ILogger<MaximoRestSource>>()));
        }
        for (var i = 0; i < configured.ExportFolders.Count; i++)
        {
            var index = i;
            services.AddDocumentSource(provider =>
            {
                var options = Options(provider).ExportFolders[index];
                return new ExportFolderSource(options, CreateConnector(provider, options.Server), provider.GetRequiredService<ILogger<ExportFolderSource>>(),
                    provider.GetRequiredService<TimeProvider>());
            });
        }
        services.PostConfigure<ConnectorHostOptions>(host =>
        {
            foreach (var folder in configured.ExportFolders)
            {
                if (!host.Sources.TryGetValue(folder.Name, out var source))
                {
                    host.Sources[folder.Name] = source = new SourceOptions();
                }
                source.EventSource ??= DocumentSources.MaximoExport;
            }
        });
        return services;
    }

    /// <summary>The typed Maximo REST client with its one retry policy (<see cref="MaximoRetry"/>).</summary>
    internal static IServiceCollection AddMaximoApiClient(this IServiceCollection services)
    {
        services.AddHttpClient<MaximoApiClient>()
            // The attempts are bounded by MaximoRetry.AttemptTimeout; a client-wide timeout would cut the retries short.
            .ConfigureHttpClient(http => http.Timeout = Timeout.InfiniteTimeSpan)
            // The client lives in singleton sources: rotate connections by lifetime instead of handler recycling.
            // No automatic redirects: the handler would repeat the apikey/maxauth header to wherever Location points.
            .UseSocketsHttpHandler((handler, _) =>
            {
                handler.PooledConnectionLifetime = TimeSpan.FromMinutes(5);
                handler.AllowAutoRedirect = false;
            })
            .SetHandlerLifetime(Timeout.InfiniteTimeSpan)
            .AddMaximoRetry();
        return services;
    }

    private static MaximoSourcesOptions Options(IServiceProvider provider) =>
        provider.GetRequiredService<IOptions<MaximoSourcesOptions>>().Value;

    private static IRemoteFolderConnector CreateConnector(IServiceProvider provider, RemoteServerOptions server) =>
        server.Protocol == RemoteProtocol.Sftp
            ? new SftpRemoteFolderConnector(server, provider.GetRequiredService<ISecretProvider>())
            : new FtpRemoteFolderConnector(server, provider.GetRequiredService<ISecretProvider>(),
                provider.GetRequiredService<ILoggerFactory>(), provider.GetRequiredService<TimeProvider>());
}

/// <summary>Validates every configured source (data annotations and their own rules) and that names are unique.</summary>
internal sealed class MaximoSourcesOptionsValidator : IValidateOptions<MaximoSourcesOptions>
{
    public ValidateOptionsResult Validate(string? name, MaximoSourcesOptions options)
    {
        var failures = new List<string>();
        for (var i = 0; i < options.Rest.Count; i++)
        {
            Check($"Maximo:Rest:{i}", options.Rest[i], failures);
        }
        for (var i = 0; i < options.ExportFolders.Count; i++)
        {
            Check($"Maximo:ExportFolders:{i}", options.ExportFolders[i], failures);
            Check($"Maximo:ExportFolders:{i}:Server", options.ExportFolders[i].Server, failures);
        }
        var duplicates = options.Rest.Select(r => r.Name).Concat(options.ExportFolders.Select(e => e.Name))
            .GroupBy(n => n, StringComparer.Ordinal).Where(g => g.Count() > 1).Select(g => g.Key);
        failures.AddRange(duplicates.Select(d => $"Source name '{d}' is used twice."));
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void Check(string path, object value, List<string> failures)
    {
        var results = new List<ValidationResult>();
        Validator.TryValidateObject(value, new ValidationContext(value), results, validateAllProperties: true);
        failures.AddRange(results.Select(r => $"{path}: {r.ErrorMessage}"));
    }
}
