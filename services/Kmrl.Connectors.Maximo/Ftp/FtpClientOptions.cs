using System.ComponentModel.DataAnnotations;

namespace Kmrl.Connectors.Maximo.Ftp;

public enum FtpEncryption
{
    /// <summary>Plain FTP: credentials and data in clear text. Only for closed networks.</summary>
    None,

    /// <summary>Explicit FTPS: <c>AUTH TLS</c> on the control connection, <c>PBSZ 0</c> and <c>PROT P</c> for data.</summary>
    Explicit,
}

/// <summary>Where and how the FTP client connects. Credentials come from the caller (the secret store), not from here.</summary>
public sealed class FtpClientOptions
{
    [Required]
    public string Host { get; set; } = string.Empty;

    [Range(1, 65535)]
    public int Port { get; set; } = 21;

    public FtpEncryption Encryption { get; set; } = FtpEncryption.Explicit;

    /// <summary>Name checked against the certificate and sent as SNI; defaults to <see cref="Host"/>.</summary>
    public string? TlsTargetHost { get; set; }

    /// <summary>
    /// SHA-256 thumbprint (hex, colons allowed) of the server certificate. When set, only that certificate is
    /// accepted, whatever its chain or name; when empty the certificate must validate against the system CAs.
    /// </summary>
    public string? PinnedCertificateSha256 { get; set; }

    /// <summary>
    /// TLS versions to offer; None = the OS default (TLS 1.2 and 1.3). Servers that require the data connection to
    /// resume the control session but issue no TLS 1.3 tickets (pure-ftpd 1.0.50) resume only over TLS 1.2.
    /// </summary>
    public System.Security.Authentication.SslProtocols SslProtocols { get; set; } = System.Security.Authentication.SslProtocols.None;

    /// <summary>Bounds each connect, command round trip and data read.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Try <c>EPSV</c> before <c>PASV</c>; some old servers or NAT devices mishandle EPSV.</summary>
    public bool UseEpsv { get; set; } = true;

    /// <summary>Use <c>MLSD</c> when the server advertises it; otherwise (or when false) parse unix-style <c>LIST</c>.</summary>
    public bool UseMlsd { get; set; } = true;
}
