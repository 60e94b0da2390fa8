using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Kmrl.ServiceDefaults.Security;

/// <summary><c>Authorization: Bearer &lt;api key&gt;</c> → the client's name and roles as claims.</summary>
public sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    IApiKeyStore keys) : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "ApiKey";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var header = Request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return AuthenticateResult.NoResult();
        }
        var presented = header["Bearer ".Length..].Trim();
        if (presented.Length == 0)
        {
            return AuthenticateResult.Fail("Empty bearer token.");
        }
        var client = await keys.FindAsync(presented, Context.RequestAborted);
        if (client is null)
        {
            return AuthenticateResult.Fail("Unknown API key.");
        }
        var claims = new List<Claim> { new(ClaimTypes.Name, client.Name) };
        claims.AddRange(client.Roles.Select(r => new Claim(ClaimTypes.Role, r)));
        var identity = new ClaimsIdentity(claims, SchemeName);
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName));
    }
}
