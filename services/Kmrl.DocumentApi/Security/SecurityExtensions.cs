using Kmrl.Contracts;

namespace Kmrl.DocumentApi.Security;

public static class ApiRoles
{
    public const string Upload = "upload";
    public const string Read = "read";
}

public static class SecurityExtensions
{
    public const string Section = "DocumentApi:Security";
    public const string UploadPolicy = "documents.upload";
    public const string ReadPolicy = "documents.read";

    /// <summary>API keys (ServiceDefaults' one implementation) from <c>document-api-api-keys</c>, and the two roles' policies.</summary>
    public static IServiceCollection AddDocumentApiSecurity(this IServiceCollection services)
    {
        services.AddApiKeySecurity(Section, DaprNames.Secrets.DocumentApiApiKeys);
        services.AddAuthorizationBuilder()
            .AddPolicy(UploadPolicy, p => p.RequireAuthenticatedUser().RequireRole(ApiRoles.Upload))
            .AddPolicy(ReadPolicy, p => p.RequireAuthenticatedUser().RequireRole(ApiRoles.Read));
        return services;
    }
}
