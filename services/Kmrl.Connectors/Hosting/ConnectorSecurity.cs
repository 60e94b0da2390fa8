using Kmrl.Contracts;
using Microsoft.Extensions.DependencyInjection;

namespace Kmrl.Connectors.Hosting;

/// <summary>
/// Who may call a connector: operators with an API key (secret <c>connector-operator-keys</c>, or
/// <c>Connector:Security:ApiKeysSecret</c>; each key "&lt;key&gt;;operator") for status and sync requests, daprd with
/// the app token for the schedule. The same key store and checks as document-api (ServiceDefaults' Security).
/// </summary>
public static class ConnectorSecurity
{
    public const string Section = ConnectorHostOptions.SectionName + ":Security";
    public const string OperatorRole = "operator";
    public const string OperatorPolicy = "connector.operator";

    public static IServiceCollection AddConnectorHostSecurity(this IServiceCollection services)
    {
        services.AddApiKeySecurity(Section, DaprNames.Secrets.ConnectorOperatorKeys);
        services.AddAuthorizationBuilder()
            .AddPolicy(OperatorPolicy, p => p.RequireAuthenticatedUser().RequireRole(OperatorRole));
        return services;
    }
}
