using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Azure.Core.Pipeline;

namespace Kmrl.Connectors.SharePoint.Graph;

/// <summary>
/// The HTTP transport of the token requests when <see cref="SharePointOptions.AuthorityRootCertificateFile"/> names a
/// root: TLS to the authority must chain to that certificate alone (<see cref="X509ChainTrustMode.CustomRootTrust"/>);
/// the host name, validity and revocation checks stay as they are. Nothing else in the process trusts it.
/// </summary>
internal static class AuthorityTransport
{
    public static HttpPipelineTransport? Create(string? rootCertificateFile)
    {
        if (string.IsNullOrEmpty(rootCertificateFile))
        {
            return null;
        }
        var policy = new X509ChainPolicy { TrustMode = X509ChainTrustMode.CustomRootTrust };
        policy.CustomTrustStore.Add(X509Certificate2.CreateFromPem(File.ReadAllText(rootCertificateFile)));
        var handler = new SocketsHttpHandler
        {
            SslOptions = new SslClientAuthenticationOptions { CertificateChainPolicy = policy },
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
        };
        return new HttpClientTransport(handler);
    }
}
