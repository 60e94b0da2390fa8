using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Identity;
using Kmrl.BuildingBlocks.Secrets;
using Kmrl.Contracts;
using Microsoft.Extensions.Options;
using Microsoft.Kiota.Abstractions.Authentication;

namespace Kmrl.Connectors.SharePoint.Graph;

/// <summary>
/// App-only Graph tokens via <see cref="ClientSecretCredential"/>, with tenant, client id and secret from the secret
/// store, from the configured authority (<see cref="SharePointOptions.AuthorityHost"/>). The credential (and its token
/// cache) is rebuilt only when a secret changes (rotation).
/// </summary>
public sealed class ClientSecretTokenProvider(ISecretProvider secrets, IOptions<SharePointOptions> options) : IAccessTokenProvider
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    // One transport for every credential: null is Azure.Identity's default (the system's trusted roots).
    private readonly Lazy<HttpPipelineTransport?> _transport = new(() => AuthorityTransport.Create(options.Value.AuthorityRootCertificateFile));
    private (string Tenant, string Client, string Secret, ClientSecretCredential Credential)? _current;

    public AllowedHostsValidator AllowedHostsValidator { get; } = new([options.Value.GraphBaseUrl.Host]);

    public async Task<string> GetAuthorizationTokenAsync(Uri uri, Dictionary<string, object>? additionalAuthenticationContext = null,
        CancellationToken cancellationToken = default)
    {
        // Never hand the token to another host (e.g. the pre-authenticated download host).
        if (!AllowedHostsValidator.IsUrlHostValid(uri))
        {
            return string.Empty;
        }
        var credential = await CredentialAsync(cancellationToken);
        var scope = $"{options.Value.GraphBaseUrl.Scheme}://{options.Value.GraphBaseUrl.Host}/.default";
        var token = await credential.GetTokenAsync(new TokenRequestContext([scope]), cancellationToken);
        return token.Token;
    }

    private async Task<ClientSecretCredential> CredentialAsync(CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var tenant = await secrets.GetSecretAsync(settings.Secret, DaprNames.Secrets.SharePointKeys.TenantId, cancellationToken);
        var client = await secrets.GetSecretAsync(settings.Secret, DaprNames.Secrets.SharePointKeys.ClientId, cancellationToken);
        var secret = await secrets.GetSecretAsync(settings.Secret, DaprNames.Secrets.SharePointKeys.ClientSecret, cancellationToken);
        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (_current is not { } current || current.Tenant != tenant || current.Client != client || current.Secret != secret)
            {
                var credentialOptions = new ClientSecretCredentialOptions
                {
                    AuthorityHost = settings.AuthorityHost,
                    DisableInstanceDiscovery = settings.DisableInstanceDiscovery,
                };
                if (_transport.Value is { } transport)
                {
                    credentialOptions.Transport = transport;
                }
                _current = current = (tenant, client, secret, new ClientSecretCredential(tenant, client, secret, credentialOptions));
            }
            return current.Credential;
        }
        finally
        {
            _gate.Release();
        }
    }
}
