using System.ComponentModel.DataAnnotations;
using Azure.Identity;
using Kmrl.BuildingBlocks.Secrets;
using Kmrl.Connectors.SharePoint;
using Kmrl.Connectors.SharePoint.Graph;
using Microsoft.Extensions.Options;

namespace Kmrl.Connectors.SharePoint.Tests;

public sealed class ClientSecretTokenProviderTests
{
    /// <summary>Records each (name, key) asked for; the last key is missing, so no token request leaves the machine.</summary>
    private sealed class RecordingSecrets : ISecretProvider
    {
        public List<(string Name, string Key)> Asked { get; } = [];

        public Task<string> GetSecretAsync(string name, string key, CancellationToken cancellationToken)
        {
            Asked.Add((name, key));
            return key == "client-secret" ? throw new SecretNotFoundException(name, key, "recording") : Task.FromResult("00000000-0000-0000-0000-000000000000");
        }

        public Task<IReadOnlyDictionary<string, string>> GetSecretValuesAsync(string name, CancellationToken cancellationToken) =>
            throw new InvalidOperationException("The token provider asks for its three keys.");
    }

    [Fact]
    public async Task The_app_registration_is_read_as_three_keys_of_the_one_sharepoint_secret()
    {
        var secrets = new RecordingSecrets();
        var provider = new ClientSecretTokenProvider(secrets, Options.Create(new SharePointOptions()));

        await Assert.ThrowsAsync<SecretNotFoundException>(() => provider.GetAuthorizationTokenAsync(new Uri("https://graph.microsoft.com/v1.0/sites")));

        Assert.Equal([("sharepoint", "tenant-id"), ("sharepoint", "client-id"), ("sharepoint", "client-secret")], secrets.Asked);
    }

    /// <summary>The app registration of a <see cref="FakeEntraId"/>, as the secret store would hand it out.</summary>
    private sealed class Registration(FakeEntraId authority, string? secret = null) : ISecretProvider
    {
        public Task<string> GetSecretAsync(string name, string key, CancellationToken cancellationToken) => Task.FromResult(key switch
        {
            "tenant-id" => authority.TenantId,
            "client-id" => authority.ClientId,
            _ => secret ?? authority.ClientSecret,
        });

        public Task<IReadOnlyDictionary<string, string>> GetSecretValuesAsync(string name, CancellationToken cancellationToken) =>
            throw new InvalidOperationException("The token provider asks for its three keys.");
    }

    private static readonly Uri Graph = new("http://127.0.0.1/v1.0/sites");

    private static async Task<string> PinnedRootAsync(FakeEntraId authority)
    {
        var path = Path.Combine(Path.GetTempPath(), $"kmrl-entra-{Guid.NewGuid():N}.pem");
        await File.WriteAllTextAsync(path, authority.CertificatePem);
        return path;
    }

    private static SharePointOptions Against(FakeEntraId authority, string? rootCertificate) => new()
    {
        GraphBaseUrl = new Uri("http://127.0.0.1/v1.0"),
        AuthorityHost = authority.AuthorityHost,
        DisableInstanceDiscovery = true,
        AuthorityRootCertificateFile = rootCertificate,
    };

    [Fact]
    public async Task A_configured_authority_whose_certificate_is_pinned_issues_the_app_only_token()
    {
        await using var authority = await FakeEntraId.StartAsync();
        var root = await PinnedRootAsync(authority);
        try
        {
            var provider = new ClientSecretTokenProvider(new Registration(authority), Options.Create(Against(authority, root)));

            var token = await provider.GetAuthorizationTokenAsync(Graph);
            var again = await provider.GetAuthorizationTokenAsync(Graph);

            Assert.Equal(FakeGraph.Token, token);
            Assert.Equal(token, again);
            // MSAL's cache answers the second call; nothing but the token endpoint was asked (no instance discovery).
            Assert.Equal(1, authority.TokensIssued);
            Assert.All(authority.Requests, request => Assert.Equal($"POST /{authority.TenantId}/oauth2/v2.0/token", request));
        }
        finally
        {
            File.Delete(root);
        }
    }

    [Fact]
    public async Task Without_a_pinned_root_the_authoritys_self_signed_certificate_is_refused()
    {
        await using var authority = await FakeEntraId.StartAsync();
        var provider = new ClientSecretTokenProvider(new Registration(authority), Options.Create(Against(authority, rootCertificate: null)));

        await Assert.ThrowsAsync<AuthenticationFailedException>(() => provider.GetAuthorizationTokenAsync(Graph));

        Assert.Equal(0, authority.TokensIssued);
    }

    [Fact]
    public async Task A_root_pinned_for_another_authority_does_not_open_this_one()
    {
        await using var authority = await FakeEntraId.StartAsync();
        await using var other = await FakeEntraId.StartAsync();
        var otherRoot = await PinnedRootAsync(other);
        try
        {
            var provider = new ClientSecretTokenProvider(new Registration(authority), Options.Create(Against(authority, otherRoot)));

            await Assert.ThrowsAsync<AuthenticationFailedException>(() => provider.GetAuthorizationTokenAsync(Graph));

            Assert.Equal(0, authority.TokensIssued);
        }
        finally
        {
            File.Delete(otherRoot);
        }
    }

    [Fact]
    public async Task A_wrong_client_secret_fails_with_entras_invalid_client_error()
    {
        await using var authority = await FakeEntraId.StartAsync();
        var root = await PinnedRootAsync(authority);
        try
        {
            var provider = new ClientSecretTokenProvider(new Registration(authority, secret: "rotated-away"), Options.Create(Against(authority, root)));

            var error = await Assert.ThrowsAsync<AuthenticationFailedException>(() => provider.GetAuthorizationTokenAsync(Graph));

            var entra = Assert.IsAssignableFrom<Microsoft.Identity.Client.MsalServiceException>(error.InnerException);
            Assert.Equal("invalid_client", entra.ErrorCode);
            Assert.Contains("AADSTS7000215", entra.Message, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(root);
        }
    }

    [Fact]
    public void The_default_authority_is_the_public_cloud_over_https_and_an_http_authority_is_refused()
    {
        var defaults = new SharePointOptions();
        var http = new SharePointOptions { AuthorityHost = new Uri("http://localhost:8443/") };

        var refused = http.Validate(new ValidationContext(http)).ToList();

        Assert.Equal(new Uri("https://login.microsoftonline.com/"), defaults.AuthorityHost);
        Assert.False(defaults.DisableInstanceDiscovery);
        Assert.Null(defaults.AuthorityRootCertificateFile);
        Assert.Empty(defaults.Validate(new ValidationContext(defaults)));
        Assert.Contains(refused, result => result.MemberNames.Contains(nameof(SharePointOptions.AuthorityHost)));
    }
}
