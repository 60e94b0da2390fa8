using System.Net;
using System.Security.Claims;
using System.Security.Cryptography;
using System.Text.Json;
using System.Web;
using Kmrl.BuildingBlocks.Secrets;
using Kmrl.ServiceDefaults.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Kmrl.ServiceDefaults.Tests;

public sealed class StaffSignInTests
{
    private const string Tenant = "kmrl-tenant";
    private const string ClientId = "document-api-client";
    private const string ClientSecret = "client-secret-from-the-secret-store";

    [Fact]
    public void Entra_app_roles_become_staff_roles_and_departments_and_anything_else_is_dropped()
    {
        var user = StaffPrincipal.FromAppRoles("Anitha", ["reader.safety", "department-admin.finance", "operations", "reader", "administrator.hr", "superuser"]);

        Assert.Equal("Anitha", user.Identity!.Name);
        Assert.True(user.IsStaff());
        Assert.Equal(["department-admin", "operations", "reader"], user.FindAll(ClaimTypes.Role).Select(c => c.Value).Order());
        Assert.Equal(["finance", "safety"], user.Departments().Order());
    }

    [Fact]
    public void The_development_sign_in_is_refused_outside_Development_so_the_app_does_not_start()
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = Environments.Production });
        builder.Configuration["SignIn:Mode"] = "development";

        var refused = Assert.Throws<InvalidOperationException>(() => builder.AddStaffSignIn("SignIn"));

        Assert.Contains("Production", refused.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Development", StaffSignInModes.Development)]
    [InlineData("Production", StaffSignInModes.None)]
    [InlineData("Staging", StaffSignInModes.None)]
    public void With_no_mode_configured_only_Development_gets_the_development_login(string environment, string expected)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = environment });

        var mode = StaffSignIn.EffectiveMode(new StaffSignInOptions(), builder.Environment);

        Assert.Equal(expected, mode);
    }

    [Fact]
    public async Task Entra_sign_in_runs_the_code_flow_with_pkce_and_the_secret_store_client_secret_and_maps_app_roles()
    {
        await using var idp = await IdentityProvider.StartAsync();
        var secrets = new OneSecret("staff-sign-in", "client-secret", ClientSecret);
        await using var app = await StartAppAsync(Environments.Development, secrets, new Dictionary<string, string?>
        {
            ["SignIn:Mode"] = "entra",
            ["SignIn:Entra:Instance"] = idp.Address,
            ["SignIn:Entra:TenantId"] = Tenant,
            ["SignIn:Entra:ClientId"] = ClientId,
        });
        using var browser = Browser(app);

        var page = await browser.GetAsync("/ui/me");
        Assert.Equal(HttpStatusCode.Redirect, page.StatusCode);
        var signIn = await browser.GetAsync(page.Headers.Location);
        var authorize = signIn.Headers.Location!;
        Assert.StartsWith($"{idp.Address}/{Tenant}/oauth2/v2.0/authorize", authorize.ToString(), StringComparison.Ordinal);
        var query = HttpUtility.ParseQueryString(authorize.Query);
        Assert.Equal(ClientId, query["client_id"]);
        Assert.Equal("code", query["response_type"]);
        Assert.Equal("S256", query["code_challenge_method"]);

        // What Entra ID does after the person signs in: the code comes back to the redirect URI (form_post).
        idp.NextIdToken = (query["nonce"]!, ["reader.safety", "department-admin.safety", "operations.extra"]);
        var callback = await browser.PostAsync(query["redirect_uri"], new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["code"] = "the-code",
            ["state"] = query["state"]!,
        }));
        Assert.Equal(HttpStatusCode.Redirect, callback.StatusCode);
        var me = await browser.GetStringAsync(callback.Headers.Location);

        Assert.Equal(ClientSecret, idp.RedeemedWith["client_secret"]);
        Assert.False(string.IsNullOrEmpty(idp.RedeemedWith["code_verifier"]));
        Assert.Equal("Anitha K|department-admin,reader|safety", me);
        Assert.Equal([("staff-sign-in", "client-secret")], secrets.Asked);
    }

    [Fact]
    public async Task A_request_with_an_api_key_header_is_never_sent_to_the_sign_in_and_an_api_route_answers_401_not_a_redirect()
    {
        await using var app = await StartAppAsync(Environments.Development, new OneSecret("none", "none", "none"), new Dictionary<string, string?>());
        using var browser = Browser(app);

        var api = await browser.GetAsync("/api/me");
        using var request = new HttpRequestMessage(HttpMethod.Get, "/ui/me");
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", "not-a-key");
        var pageWithKey = await browser.SendAsync(request);
        var page = await browser.GetAsync("/ui/me");

        Assert.Equal(HttpStatusCode.Unauthorized, api.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, pageWithKey.StatusCode);
        Assert.Equal(HttpStatusCode.Redirect, page.StatusCode);
        Assert.Equal("/signin", page.Headers.Location!.AbsolutePath);
    }

    private static HttpClient Browser(WebApplication app) =>
        new(new HttpClientHandler { AllowAutoRedirect = false, CookieContainer = new CookieContainer() })
        {
            BaseAddress = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First()),
        };

    private static async Task<WebApplication> StartAppAsync(string environment, ISecretProvider secrets, Dictionary<string, string?> settings)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = environment });
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Services.AddSingleton(secrets);
        builder.Services.AddApiKeySecurity("Security", "api-keys");
        builder.Services.AddSingleton<IApiKeyStore, NoKeys>();
        builder.AddStaffSignIn("SignIn");
        var app = builder.Build();
        app.UseAuthentication();
        app.UseAuthorization();
        app.MapStaffSignIn("/ui/dev-login");
        static string Describe(ClaimsPrincipal user) =>
            $"{user.Identity!.Name}|{string.Join(',', user.FindAll(ClaimTypes.Role).Select(c => c.Value).Order())}|{string.Join(',', user.Departments())}";
        app.MapGet("/ui/me", (ClaimsPrincipal user) => Describe(user)).RequireAuthorization();
        app.MapGet("/api/me", (ClaimsPrincipal user) => Describe(user)).RequireAuthorization();
        await app.StartAsync();
        return app;
    }

    private sealed class NoKeys : IApiKeyStore
    {
        public Task<ApiClient?> FindAsync(string presentedKey, CancellationToken cancellationToken) => Task.FromResult<ApiClient?>(null);
    }

    private sealed class OneSecret(string name, string key, string value) : ISecretProvider
    {
        public List<(string, string)> Asked { get; } = [];

        public Task<string> GetSecretAsync(string secretName, string secretKey, CancellationToken cancellationToken)
        {
            Asked.Add((secretName, secretKey));
            return secretName == name && secretKey == key ? Task.FromResult(value) : throw new SecretNotFoundException(secretName, secretKey, "test");
        }

        public Task<IReadOnlyDictionary<string, string>> GetSecretValuesAsync(string secretName, CancellationToken cancellationToken) =>
            throw new SecretNotFoundException(secretName, null, "test");
    }

    /// <summary>The parts of Entra ID's v2.0 endpoints the code flow touches: discovery, keys, and the token endpoint.</summary>
    private sealed class IdentityProvider : IAsyncDisposable
    {
        private readonly WebApplication _app;
        private readonly RsaSecurityKey _key = new(RSA.Create(2048)) { KeyId = "test-key" };

        private IdentityProvider(WebApplication app) => _app = app;

        public string Address => _app.Urls.First();
        public (string Nonce, string[] Roles) NextIdToken { get; set; }
        public Dictionary<string, string> RedeemedWith { get; } = [];

        public static async Task<IdentityProvider> StartAsync()
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            var app = builder.Build();
            var idp = new IdentityProvider(app);
            app.MapGet($"/{Tenant}/v2.0/.well-known/openid-configuration", () => Results.Json(new Dictionary<string, object>
            {
                ["issuer"] = idp.Issuer,
                ["authorization_endpoint"] = $"{idp.Address}/{Tenant}/oauth2/v2.0/authorize",
                ["token_endpoint"] = $"{idp.Address}/{Tenant}/oauth2/v2.0/token",
                ["jwks_uri"] = $"{idp.Address}/{Tenant}/discovery/v2.0/keys",
                ["response_types_supported"] = new[] { "code" },
                ["subject_types_supported"] = new[] { "pairwise" },
                ["id_token_signing_alg_values_supported"] = new[] { "RS256" },
            }));
            app.MapGet($"/{Tenant}/discovery/v2.0/keys", () =>
            {
                var jwk = JsonWebKeyConverter.ConvertFromRSASecurityKey(idp._key);
                return Results.Json(new { keys = new[] { new { kty = jwk.Kty, use = "sig", kid = jwk.Kid, n = jwk.N, e = jwk.E } } });
            });
            app.MapPost($"/{Tenant}/oauth2/v2.0/token", async (HttpRequest request) =>
            {
                var form = await request.ReadFormAsync();
                foreach (var (key, value) in form) idp.RedeemedWith[key] = value.ToString();
                return Results.Json(new { token_type = "Bearer", id_token = idp.IdToken(), access_token = "unused", expires_in = 3600 });
            });
            await app.StartAsync();
            return idp;
        }

        private string Issuer => $"{Address}/{Tenant}/v2.0";

        private string IdToken() => new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = Issuer,
            Audience = ClientId,
            Expires = DateTime.UtcNow.AddMinutes(10),
            IssuedAt = DateTime.UtcNow,
            SigningCredentials = new SigningCredentials(_key, SecurityAlgorithms.RsaSha256),
            Claims = new Dictionary<string, object>
            {
                ["sub"] = "anitha-oid",
                ["name"] = "Anitha K",
                ["nonce"] = NextIdToken.Nonce,
                ["roles"] = NextIdToken.Roles,
            },
        });

        public async ValueTask DisposeAsync() => await _app.DisposeAsync();
    }
}
