using System.ComponentModel.DataAnnotations;
using System.Security.Claims;
using Kmrl.BuildingBlocks.Secrets;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Kmrl.ServiceDefaults.Security;

public static class StaffSignInModes
{
    /// <summary>No sign-in for people: API keys only.</summary>
    public const string None = "none";

    /// <summary>Microsoft Entra ID through the OpenID Connect handler (KMRL's SharePoint tenant).</summary>
    public const string Entra = "entra";

    /// <summary>A form that signs in as anyone with any roles: a developer's machine (<c>./build.sh run</c>) only.</summary>
    public const string Development = "development";
}

/// <summary>How staff sign in to the web pages (<c>&lt;section&gt;</c> of <see cref="StaffSignIn.AddStaffSignIn"/>).</summary>
public sealed class StaffSignInOptions
{
    /// <summary>none, entra or development; unset is development in the Development environment and none elsewhere.</summary>
    public string? Mode { get; set; }

    /// <summary>Pages under this path sign people in with a cookie; the rest of the app stays on API keys.</summary>
    public string PagesPath { get; set; } = "/ui";

    [Range(5, 24 * 60)]
    public int SessionMinutes { get; set; } = 8 * 60;

    public EntraSignInOptions Entra { get; set; } = new();
}

public sealed class EntraSignInOptions
{
    public string Instance { get; set; } = "https://login.microsoftonline.com/";
    public string? TenantId { get; set; }
    public string? ClientId { get; set; }

    /// <summary>The secret-store secret holding the client secret (never configuration), and its key.</summary>
    [SecretName]
    public string ClientSecretName { get; set; } = Kmrl.Contracts.DaprNames.Secrets.StaffSignIn;

    public string ClientSecretKey { get; set; } = Kmrl.Contracts.DaprNames.Secrets.StaffSignInKeys.ClientSecret;
}

/// <summary>
/// Staff sign-in beside the API keys: a policy scheme sends a request with <c>Authorization</c> to the API-key handler
/// (machines keep working unchanged) and everything else to a cookie, which Entra ID's OpenID Connect handler or the
/// development login fills. The development login exists only in the Development environment: asked for anywhere
/// else the app does not start.
/// </summary>
public static class StaffSignIn
{
    public const string Scheme = "Kmrl";
    public const string CookieScheme = "Kmrl.StaffCookie";
    public const string OidcScheme = OpenIdConnectDefaults.AuthenticationScheme;
    public const string SignInPath = "/signin";
    public const string SignOutPath = "/signout";
    public const string DevelopmentSignInPath = "/signin/development";

    /// <summary>Call after <see cref="ApiSecurityExtensions.AddApiKeySecurity"/>; it makes the policy scheme the default.</summary>
    public static IHostApplicationBuilder AddStaffSignIn(this IHostApplicationBuilder builder, string section)
    {
        var options = builder.Configuration.GetSection(section).Get<StaffSignInOptions>() ?? new StaffSignInOptions();
        var mode = EffectiveMode(options, builder.Environment);
        builder.Services.AddOptions<StaffSignInOptions>().BindConfiguration(section)
            .PostConfigure(o => o.Mode = mode)
            .ValidateDataAnnotations()
            .Validate(o => o.Mode != StaffSignInModes.Entra || (!string.IsNullOrWhiteSpace(o.Entra.TenantId) && !string.IsNullOrWhiteSpace(o.Entra.ClientId)),
                $"{section}:Entra:TenantId and ClientId are required for the entra sign-in.")
            .ValidateOnStart();

        var authentication = builder.Services.AddAuthentication(o => o.DefaultScheme = Scheme)
            .AddPolicyScheme(Scheme, "API key or staff cookie", policy => policy.ForwardDefaultSelector = context =>
                context.Request.Headers.ContainsKey("Authorization")
                || !(context.Request.Path.StartsWithSegments(options.PagesPath) || context.Request.Path.StartsWithSegments(SignInPath)
                     || context.Request.Cookies.ContainsKey(CookieName))
                    ? ApiKeyAuthenticationHandler.SchemeName
                    : CookieScheme)
            .AddCookie(CookieScheme, cookie =>
            {
                cookie.Cookie.Name = CookieName;
                cookie.Cookie.HttpOnly = true;
                // Lax, not Strict: the redirect back from Entra ID is a cross-site navigation. Lax still keeps the
                // cookie off cross-site POSTs, and every form of the pages carries an antiforgery token.
                cookie.Cookie.SameSite = SameSiteMode.Lax;
                cookie.Cookie.SecurePolicy = builder.Environment.IsDevelopment() ? CookieSecurePolicy.SameAsRequest : CookieSecurePolicy.Always;
                cookie.ExpireTimeSpan = TimeSpan.FromMinutes(options.SessionMinutes);
                cookie.SlidingExpiration = true;
                cookie.LoginPath = SignInPath;
                cookie.AccessDeniedPath = options.PagesPath + "/denied";
                cookie.Events.OnRedirectToLogin = context => RedirectPagesOnly(context, options, StatusCodes.Status401Unauthorized);
                cookie.Events.OnRedirectToAccessDenied = context => RedirectPagesOnly(context, options, StatusCodes.Status403Forbidden);
            });

        if (mode == StaffSignInModes.Entra)
        {
            authentication.AddOpenIdConnect(OidcScheme, oidc => ConfigureEntra(oidc, options.Entra, builder.Environment.IsDevelopment()));
        }
        return builder;
    }

    public const string CookieName = "kmrl.staff";

    /// <summary>
    /// <c>GET /signin</c> starts a sign-in (Entra ID, or the development login form), <c>POST /signout</c> ends it, and in
    /// development mode <c>POST /signin/development</c> signs in with what the form names.
    /// </summary>
    public static IEndpointRouteBuilder MapStaffSignIn(this IEndpointRouteBuilder app, string developmentLoginPage)
    {
        var options = app.ServiceProvider.GetRequiredService<IOptions<StaffSignInOptions>>().Value;
        app.MapGet(SignInPath, (string? returnUrl) => SignInAsync(options, developmentLoginPage, returnUrl)).AllowAnonymous().ExcludeFromDescription();
        app.MapPost(SignOutPath, SignOutAsync).AllowAnonymous().ExcludeFromDescription();
        if (options.Mode == StaffSignInModes.Development)
        {
            app.MapPost(DevelopmentSignInPath, DevelopmentSignInAsync).AllowAnonymous().ExcludeFromDescription();
        }
        return app;
    }

    public static string EffectiveMode(StaffSignInOptions options, IHostEnvironment environment)
    {
        var mode = string.IsNullOrWhiteSpace(options.Mode)
            ? environment.IsDevelopment() ? StaffSignInModes.Development : StaffSignInModes.None
            : options.Mode.Trim().ToLowerInvariant();
        if (mode is not (StaffSignInModes.None or StaffSignInModes.Entra or StaffSignInModes.Development))
        {
            throw new InvalidOperationException($"Sign-in mode '{options.Mode}' is unknown: use none, entra or development.");
        }
        if (mode == StaffSignInModes.Development && !environment.IsDevelopment())
        {
            // Fail closed: a development login anywhere else would let anyone in as anyone.
            throw new InvalidOperationException(
                $"The development sign-in is refused in the {environment.EnvironmentName} environment; use entra (or none).");
        }
        return mode;
    }

    private static IResult SignInAsync(StaffSignInOptions options, string developmentLoginPage, string? returnUrl)
    {
        var target = LocalOrDefault(returnUrl, options.PagesPath);
        return options.Mode switch
        {
            StaffSignInModes.Entra => TypedResults.Challenge(new AuthenticationProperties { RedirectUri = target }, [OidcScheme]),
            StaffSignInModes.Development => TypedResults.LocalRedirect($"{developmentLoginPage}?returnUrl={Uri.EscapeDataString(target)}"),
            _ => TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Sign-in is not configured.",
                detail: "This installation takes API keys only; configure the entra sign-in for people."),
        };
    }

    private static async Task<IResult> SignOutAsync(HttpContext context, IOptions<StaffSignInOptions> options)
    {
        await context.SignOutAsync(CookieScheme);
        if (options.Value.Mode == StaffSignInModes.Entra)
        {
            return TypedResults.SignOut(new AuthenticationProperties { RedirectUri = options.Value.PagesPath }, [OidcScheme]);
        }
        return TypedResults.LocalRedirect(options.Value.PagesPath);
    }

    /// <summary>The development login's form: a name, roles (repeated) and departments (comma-separated). Antiforgery-checked.</summary>
    private static async Task<Results<RedirectHttpResult, ProblemHttpResult>> DevelopmentSignInAsync(HttpContext context, IFormCollection form)
    {
        var name = form["name"].ToString();
        var returnUrl = form["returnUrl"].ToString();
        var departments = form["departments"].ToString();
        var role = form["role"].Where(r => !string.IsNullOrEmpty(r)).Select(r => r!).ToArray();
        if (string.IsNullOrWhiteSpace(name))
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest, title: "A name is needed to sign in.");
        }
        var roles = (role ?? []).ToList();
        var departmentList = (departments ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (departmentList.Length > 0 && !roles.Contains(StaffRoles.Reader)) roles.Add(StaffRoles.Reader);
        await context.SignInAsync(CookieScheme, StaffPrincipal.Create(name.Trim(), roles, departmentList));
        var pages = context.RequestServices.GetRequiredService<IOptions<StaffSignInOptions>>().Value.PagesPath;
        return TypedResults.LocalRedirect(LocalOrDefault(returnUrl, pages));
    }

    private static void ConfigureEntra(OpenIdConnectOptions oidc, EntraSignInOptions entra, bool development)
    {
        oidc.SignInScheme = CookieScheme;
        // A developer may point the sign-in at a local identity provider over http; everywhere else only https.
        oidc.RequireHttpsMetadata = !development;
        if (development)
        {
            oidc.CorrelationCookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            oidc.NonceCookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
        }
        oidc.Authority = $"{entra.Instance.TrimEnd('/')}/{entra.TenantId}/v2.0";
        oidc.ClientId = entra.ClientId;
        oidc.ResponseType = "code";
        oidc.UsePkce = true;
        oidc.MapInboundClaims = false;
        oidc.SaveTokens = false;
        oidc.Scope.Clear();
        oidc.Scope.Add("openid");
        oidc.Scope.Add("profile");
        oidc.Events.OnAuthorizationCodeReceived = async context =>
        {
            // Read when the code is redeemed, not at start: a rotated client secret is used without a restart.
            var secrets = context.HttpContext.RequestServices.GetRequiredService<ISecretProvider>();
            context.TokenEndpointRequest!.ClientSecret = await secrets.GetSecretAsync(entra.ClientSecretName, entra.ClientSecretKey, context.HttpContext.RequestAborted);
        };
        oidc.Events.OnTokenValidated = context =>
        {
            var token = context.Principal!;
            var name = token.FindFirst("name")?.Value ?? token.FindFirst("preferred_username")?.Value ?? token.FindFirst("oid")?.Value ?? "unknown";
            context.Principal = StaffPrincipal.FromAppRoles(name, token.FindAll("roles").Select(c => c.Value));
            return Task.CompletedTask;
        };
    }

    private static Task RedirectPagesOnly(RedirectContext<CookieAuthenticationOptions> context, StaffSignInOptions options, int apiStatus)
    {
        // A page redirects to the sign-in; an API call answers with its status code.
        if (context.Request.Path.StartsWithSegments(options.PagesPath))
        {
            context.Response.Redirect(context.RedirectUri);
        }
        else
        {
            context.Response.StatusCode = apiStatus;
        }
        return Task.CompletedTask;
    }

    private static string LocalOrDefault(string? returnUrl, string fallback) =>
        !string.IsNullOrEmpty(returnUrl) && returnUrl.StartsWith('/') && !returnUrl.StartsWith("//", StringComparison.Ordinal) && !returnUrl.StartsWith("/\\", StringComparison.Ordinal)
            ? returnUrl
            : fallback;
}
