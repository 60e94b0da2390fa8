using System.Security.Cryptography;
using System.Text;
using Kmrl.ServiceDefaults.Security;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>One way to authenticate every Kmrl app: API keys from the secret store for callers, Dapr's app token for the sidecar.</summary>
public static class ApiSecurityExtensions
{
    public const string DaprApiTokenHeader = "dapr-api-token";

    /// <summary>
    /// <c>Authorization: Bearer &lt;api key&gt;</c> as the default scheme, keys from <paramref name="defaultApiKeysSecret"/>
    /// unless <c>&lt;section&gt;:ApiKeysSecret</c> names another, and the app token from APP_API_TOKEN (an explicit
    /// <c>&lt;section&gt;:AppApiToken</c> wins). The keys are read once at start so a refused one is logged then.
    /// </summary>
    public static IServiceCollection AddApiKeySecurity(this IServiceCollection services, string section, string defaultApiKeysSecret)
    {
        services.AddOptions<ApiSecurityOptions>()
            .Configure(options => options.ApiKeysSecret = defaultApiKeysSecret)
            .BindConfiguration(section)
            // Dapr hands the token to the app as APP_API_TOKEN.
            .PostConfigure<IConfiguration>((options, configuration) => options.AppApiToken ??= configuration["APP_API_TOKEN"])
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<SecretStoreApiKeyStore>();
        services.TryAddSingleton<IApiKeyStore>(provider => provider.GetRequiredService<SecretStoreApiKeyStore>());
        services.AddHostedService<ApiKeyWarmUp>();
        services.AddAuthentication(ApiKeyAuthenticationHandler.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.SchemeName, null);
        services.AddAuthorization();
        return services;
    }

    /// <summary>
    /// Sidecar-to-app routes (subscriptions, input bindings): daprd sends APP_API_TOKEN as <c>dapr-api-token</c> on
    /// every call over the app channel (dapr/dapr pkg/channel/http/http_channel.go constructRequest; gRPC apps get it
    /// as metadata), so anything without it is refused. With no token configured the route is open in Development
    /// only (a local <c>dapr run</c>) and refused everywhere else: a missing annotation must not open the route.
    /// </summary>
    public static TBuilder RequireDaprApiToken<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.AddEndpointFilter(async (context, next) =>
        {
            var services = context.HttpContext.RequestServices;
            var expected = services.GetRequiredService<IOptions<ApiSecurityOptions>>().Value.AppApiToken;
            if (string.IsNullOrEmpty(expected))
            {
                if (services.GetRequiredService<IHostEnvironment>().IsDevelopment())
                {
                    return await next(context);
                }
                return TypedResults.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "No app token configured",
                    detail: "APP_API_TOKEN is not set, so no sidecar call can be authenticated; set the dapr.io/app-token-secret annotation and APP_API_TOKEN.");
            }
            var presented = context.HttpContext.Request.Headers[DaprApiTokenHeader].ToString();
            // Hashes have equal lengths, so not even the token's length leaks through timing.
            if (!CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(presented)), SHA256.HashData(Encoding.UTF8.GetBytes(expected))))
            {
                return TypedResults.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "Missing or wrong dapr-api-token.");
            }
            return await next(context);
        });
}
