using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Kmrl.Testing.Fakes;

/// <summary>
/// A local Microsoft Entra ID token endpoint for one app registration: the OAuth 2.0 client credentials grant at
/// <c>POST /{tenant}/oauth2/v2.0/token</c> (form fields <c>grant_type=client_credentials</c>, <c>client_id</c>,
/// <c>client_secret</c>, <c>scope</c>), answering <c>{token_type, expires_in, access_token}</c> with the token
/// <see cref="FakeGraph"/> accepts, or Entra's error JSON (<c>invalid_client</c> AADSTS7000215 for a wrong secret,
/// AADSTS700016 for an unknown client, <c>invalid_request</c> AADSTS90002 for an unknown tenant). MSAL (under
/// Azure.Identity) only talks to an authority over https, so the fake serves TLS with a throwaway self-signed
/// certificate for <c>localhost</c> and 127.0.0.1; a client trusts it by pinning <see cref="CertificatePem"/>, never
/// by switching validation off.
/// </summary>
public sealed class FakeEntraId : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<string> _requests = new();

    private FakeEntraId(WebApplication app, X509Certificate2 certificate, string tenantId, string clientId, string clientSecret)
    {
        _app = app;
        Certificate = certificate;
        TenantId = tenantId;
        ClientId = clientId;
        ClientSecret = clientSecret;
    }

    public string TenantId { get; }

    public string ClientId { get; }

    public string ClientSecret { get; }

    /// <summary>The server's certificate (self-signed); its PEM is what a client pins.</summary>
    public X509Certificate2 Certificate { get; }

    public string CertificatePem => Certificate.ExportCertificatePem();

    /// <summary>The authority host, as Azure.Identity's <c>AuthorityHost</c> takes it: <c>https://localhost:{port}/</c>.</summary>
    public Uri AuthorityHost { get; private set; } = null!;

    /// <summary>Every request, as <c>METHOD path</c>: a test can see that a client asked nothing but the token endpoint.</summary>
    public IReadOnlyList<string> Requests => _requests.ToList();

    /// <summary>Tokens issued so far.</summary>
    public int TokensIssued => _issued;

    private int _issued;

    public static async Task<FakeEntraId> StartAsync(string? tenantId = null, string? clientId = null, string? clientSecret = null)
    {
        var certificate = CreateCertificate();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0, listen => listen.UseHttps(certificate)));
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var fake = new FakeEntraId(app, certificate, tenantId ?? Guid.NewGuid().ToString(), clientId ?? Guid.NewGuid().ToString(),
            clientSecret ?? Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)));
        app.Use(async (context, next) =>
        {
            fake._requests.Enqueue(context.Request.Method + " " + context.Request.Path);
            await next(context);
        });
        app.MapPost("/{tenant}/oauth2/v2.0/token", fake.TokenAsync);
        await app.StartAsync();
        var address = new Uri(app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.Single());
        fake.AuthorityHost = new Uri($"https://localhost:{address.Port}/");
        return fake;
    }

    private async Task<IResult> TokenAsync(string tenant, HttpRequest request)
    {
        if (!request.HasFormContentType)
        {
            return Error(400, "invalid_request", 900144, "The request body must contain the following parameter: 'grant_type'.");
        }
        var form = await request.ReadFormAsync();
        if (!string.Equals(tenant, TenantId, StringComparison.OrdinalIgnoreCase))
        {
            return Error(400, "invalid_request", 90002, $"Tenant '{tenant}' not found.");
        }
        if (form["grant_type"] != "client_credentials")
        {
            return Error(400, "unsupported_grant_type", 70003, "The app requested an unsupported grant type.");
        }
        if (form["client_id"] != ClientId)
        {
            return Error(400, "unauthorized_client", 700016, $"Application with identifier '{form["client_id"]}' was not found in the directory.");
        }
        if (form["client_secret"] != ClientSecret)
        {
            return Error(401, "invalid_client", 7000215, "Invalid client secret provided.");
        }
        if (!form["scope"].ToString().EndsWith("/.default", StringComparison.Ordinal))
        {
            return Error(400, "invalid_scope", 1002012, "The provided value for scope is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier.");
        }
        Interlocked.Increment(ref _issued);
        return Results.Json(new JsonObject
        {
            ["token_type"] = "Bearer",
            ["expires_in"] = 3599,
            ["ext_expires_in"] = 3599,
            ["access_token"] = FakeGraph.Token,
        });
    }

    private static IResult Error(int status, string error, int code, string description) => Results.Json(new JsonObject
    {
        ["error"] = error,
        ["error_description"] = $"AADSTS{code}: {description}",
        ["error_codes"] = new JsonArray(code),
        ["timestamp"] = DateTimeOffset.UtcNow.ToString("u", System.Globalization.CultureInfo.InvariantCulture),
        ["trace_id"] = Guid.NewGuid().ToString(),
        ["correlation_id"] = Guid.NewGuid().ToString(),
    }, statusCode: status);

    private static X509Certificate2 CreateCertificate()
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("localhost");
        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], critical: false));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, critical: true));
        var now = DateTimeOffset.UtcNow;
        using var created = request.CreateSelfSigned(now.AddMinutes(-5), now.AddDays(7));
        // Through PKCS#12 so that the private key is usable by SslStream on every platform.
        return X509CertificateLoader.LoadPkcs12(created.Export(X509ContentType.Pkcs12), password: null);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.DisposeAsync();
        Certificate.Dispose();
    }
}
