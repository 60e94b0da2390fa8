using System.Security.Cryptography;
using System.Text;
using Kmrl.DocumentApi.Extensions;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace Kmrl.DocumentApi.Security;

public static class SecurityExtensions
{
    public const string UploadPolicy = "documents.upload";
    public const string ReadPolicy = "documents.read";
    public const string DaprApiTokenHeader = "dapr-api-token";

    public static IServiceCollection AddDocumentApiSecurity(this IServiceCollection services)
    {
        services.AddAuthentication(ApiKeyAuthenticationHandler.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.SchemeName, null);
        services.AddAuthorizationBuilder()
            .AddPolicy(UploadPolicy, p => p.RequireAuthenticatedUser().RequireRole(ApiRoles.Upload))
            .AddPolicy(ReadPolicy, p => p.RequireAuthenticatedUser().RequireRole(ApiRoles.Read));
        return services;
    }

    /// <summary>
    /// Sidecar-to-app routes (subscriptions): when APP_API_TOKEN is set, daprd sends it as dapr-api-token and
    /// anything without it is refused.
    /// </summary>
    public static TBuilder RequireDaprApiToken<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.AddEndpointFilter(async (context, next) =>
        {
            var expected = context.HttpContext.RequestServices.GetRequiredService<IOptions<ApiSecurityOptions>>().Value.AppApiToken;
            if (!string.IsNullOrEmpty(expected))
            {
                var presented = context.HttpContext.Request.Headers[DaprApiTokenHeader].ToString();
                if (!CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(presented), Encoding.UTF8.GetBytes(expected)))
                {
                    return TypedResults.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "Missing or wrong dapr-api-token.");
                }
            }
            return await next(context);
        });
}
