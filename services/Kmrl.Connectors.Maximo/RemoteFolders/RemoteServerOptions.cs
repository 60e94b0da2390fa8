using System.ComponentModel.DataAnnotations;
using Kmrl.BuildingBlocks.Secrets;

namespace Kmrl.Connectors.Maximo.RemoteFolders;

public enum RemoteProtocol
{
    Ftp,
    Ftps,
    Sftp,
}

/// <summary>The server of an export folder. Passwords and keys are names of secrets, never values.</summary>
public sealed class RemoteServerOptions : IValidatableObject
{
    public RemoteProtocol Protocol { get; set; } = RemoteProtocol.Sftp;

    [Required]
    public string Host { get; set; } = string.Empty;

    /// <summary>0 means the protocol default (21 or 22).</summary>
    [Range(0, 65535)]
    public int Port { get; set; }

    [Required]
    public string UserName { get; set; } = string.Empty;

    /// <summary>
    /// The server's secret in the secret store (e.g. <c>maximo-export</c>): key <c>password</c> (FTP/FTPS, or SFTP
    /// password login), or for SFTP <c>private-key</c> (OpenSSH/PEM) with an optional <c>private-key-passphrase</c>.
    /// </summary>
    [Required]
    [SecretName]
    public string Secret { get; set; } = string.Empty;

    /// <summary>FTPS: SHA-256 thumbprint of the server certificate to pin; empty = validate against the system CAs.</summary>
    public string? PinnedCertificateSha256 { get; set; }

    /// <summary>FTPS: name to check the certificate against (defaults to <see cref="Host"/>).</summary>
    public string? TlsTargetHost { get; set; }

    /// <summary>FTPS: TLS versions to offer (None = OS default). Tls12 lets servers without TLS 1.3 tickets resume sessions on data connections.</summary>
    public System.Security.Authentication.SslProtocols TlsProtocols { get; set; } = System.Security.Authentication.SslProtocols.None;

    /// <summary>SFTP: host key SHA-256 fingerprint as <c>ssh-keygen -l -E sha256</c> prints it (with or without "SHA256:").</summary>
    public string? HostKeySha256 { get; set; }

    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Lab opt-out: lets <see cref="Protocol"/> be plain <c>Ftp</c>, which sends the password in clear text. Never in production.</summary>
    public bool AllowInsecureFtp { get; set; }

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (Protocol == RemoteProtocol.Ftp && !AllowInsecureFtp)
        {
            yield return new ValidationResult(
                "Protocol Ftp sends the password and the files in clear text: use Ftps or Sftp; a lab server without TLS needs AllowInsecureFtp: true.",
                [nameof(Protocol)]);
        }
        if (Protocol == RemoteProtocol.Sftp)
        {
            if (string.IsNullOrWhiteSpace(HostKeySha256))
            {
                yield return new ValidationResult("SFTP needs HostKeySha256: an unpinned host key would trust any server.", [nameof(HostKeySha256)]);
            }
        }
    }
}
