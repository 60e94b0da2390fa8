using System.Diagnostics.Metrics;
using System.Globalization;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.RegularExpressions;
using Kmrl.Connectors.Maximo.RemoteFolders;
using Kmrl.ServiceDefaults;
using Microsoft.Extensions.Logging;

namespace Kmrl.Connectors.Maximo.Ftp;

/// <summary>
/// A small FTP/FTPS client: one control connection, passive data connections (EPSV, PASV fallback), explicit TLS
/// (AUTH TLS, PBSZ 0, PROT P) with the same client options on every connection so the platform TLS session cache
/// can resume the control session on data connections, MLSD with unix LIST fallback, SIZE/MDTM, REST + streaming
/// RETR, RNFR/RNTO, DELE, MKD. Not thread-safe: one operation (or one open download) at a time.
/// </summary>
public sealed partial class FtpClient : IAsyncDisposable
{
    public const string MeterName = "Kmrl.Connectors.Maximo.Ftp";
    private static readonly Meter Meter = new(MeterName);
    private static readonly Counter<long> Commands = Meter.CreateCounter<long>("kmrl.ftp.commands", "{command}", "FTP commands sent, by verb");

    private readonly FtpClientOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _timeProvider;
    private readonly SslClientAuthenticationOptions? _tls;
    private readonly HashSet<string> _features = new(StringComparer.OrdinalIgnoreCase);
    private TcpClient? _control;
    private FtpReplyReader? _reader;
    private IPAddress? _remoteAddress;
    private bool _epsvRefused;
    private bool _dataProtected;
    private FtpReply? _lastTransferReply;

    private FtpClient(FtpClientOptions options, ILogger logger, TimeProvider timeProvider)
    {
        _options = options;
        _logger = logger;
        _timeProvider = timeProvider;
        if (options.Encryption == FtpEncryption.Explicit)
        {
            // One options instance for control and data: on Linux/OpenSSL .NET caches TLS sessions per
            // target host + settings, which is what lets the data connection resume the control session.
            _tls = new SslClientAuthenticationOptions
            {
                TargetHost = options.TlsTargetHost ?? options.Host,
                EnabledSslProtocols = options.SslProtocols,
                RemoteCertificateValidationCallback = (_, certificate, _, errors) => ValidateCertificate(certificate, errors),
            };
        }
    }

    /// <summary>False once a timeout, I/O error or abandoned transfer left the control connection in an unknown state.</summary>
    public bool IsUsable { get; private set; }

    /// <summary>Bytes the server sent during the control connection's TLS handshake (a full handshake carries the certificate).</summary>
    internal long ControlTlsHandshakeBytes { get; private set; }

    /// <summary>Bytes the server sent during the last data connection's TLS handshake; far fewer when the session was resumed.</summary>
    internal long LastDataTlsHandshakeBytes { get; private set; }

    public static async Task<FtpClient> ConnectAsync(
        FtpClientOptions options, NetworkCredential credential, ILogger logger, TimeProvider timeProvider, CancellationToken cancellationToken)
    {
        var client = new FtpClient(options, logger, timeProvider);
        try
        {
            await client.OpenAsync(credential, cancellationToken);
            return client;
        }
        catch
        {
            await client.DisposeAsync();
            throw;
        }
    }

    private async Task OpenAsync(NetworkCredential credential, CancellationToken cancellationToken)
    {
        using var timeout = Timeout(cancellationToken);
        _control = new TcpClient { NoDelay = true };
        await _control.ConnectAsync(_options.Host, _options.Port, timeout.Token);
        _remoteAddress = ((IPEndPoint)_control.Client.RemoteEndPoint!).Address;
        Stream stream = _control.GetStream();
        _reader = new FtpReplyReader(stream);
        IsUsable = true;
        Expect("connect", await ReadReplyAsync(cancellationToken), 220);

        if (_tls is not null)
        {
            Expect("AUTH TLS", await ExecuteAsync("AUTH TLS", cancellationToken), 234);
            var counting = new CountingStream(stream);
            var ssl = new SslStream(counting, leaveInnerStreamOpen: false);
            await ssl.AuthenticateAsClientAsync(_tls, timeout.Token);
            ControlTlsHandshakeBytes = counting.BytesRead;
            _reader.Stream = ssl;
        }

        var user = await ExecuteAsync("USER " + credential.UserName, cancellationToken);
        if (user.Code == 331)
        {
            Expect("PASS", await ExecuteAsync("PASS " + credential.Password, cancellationToken), 230, 202);
        }
        else
        {
            Expect("USER", user, 230);
        }

        var features = await ExecuteAsync("FEAT", cancellationToken);
        if (features.Code == 211)
        {
            foreach (var line in features.Lines.Skip(1).SkipLast(1))
            {
                var feature = line.Trim().Split(' ', 2)[0];
                _features.Add(feature);
            }
        }
        if (_features.Contains("UTF8"))
        {
            await ExecuteAsync("OPTS UTF8 ON", cancellationToken); // best effort; names stay readable either way
        }
        if (_tls is not null)
        {
            Expect("PBSZ 0", await ExecuteAsync("PBSZ 0", cancellationToken), 200);
            Expect("PROT P", await ExecuteAsync("PROT P", cancellationToken), 200);
            _dataProtected = true;
        }
        Expect("TYPE I", await ExecuteAsync("TYPE I", cancellationToken), 200);
    }

    public bool Supports(string feature) => _features.Contains(feature);

    /// <summary>Lists the files and folders of <paramref name="folder"/> (MLSD when available, else unix LIST).</summary>
    public async Task<IReadOnlyList<RemoteEntry>> ListAsync(string folder, CancellationToken cancellationToken)
    {
        var useMlsd = _options.UseMlsd && _features.Contains("MLST");
        var command = useMlsd ? "MLSD " + folder : "LIST -a " + folder;
        _lastTransferReply = null;
        var entries = new List<RemoteEntry>();
        var now = _timeProvider.GetUtcNow();
        await using (var transfer = await OpenTransferAsync(command, cancellationToken))
        {
            using var reader = new StreamReader(transfer, Encoding.UTF8, detectEncodingFromByteOrderMarks: false, bufferSize: 16 * 1024, leaveOpen: true);
            while (await reader.ReadLineAsync(cancellationToken) is { } line)
            {
                var entry = useMlsd ? FtpListingParser.ParseMlsdLine(folder, line) : FtpListingParser.ParseUnixListLine(folder, line, now);
                if (entry is not null)
                {
                    entries.Add(entry);
                }
            }
            // Reading to the end made the stream confirm the transfer (226).
        }
        // pure-ftpd caps listings (-L, 10,000 entries by default) and says so only in the 226 text. A silently
        // short listing would make callers think files vanished, so it is an error, not a smaller result.
        if (_lastTransferReply is { } done && done.Lines.Any(line => line.Contains("truncated", StringComparison.OrdinalIgnoreCase)))
        {
            throw new FtpListingTruncatedException(folder, entries.Count, done);
        }
        return entries;
    }

    public async Task<long?> GetSizeAsync(string path, CancellationToken cancellationToken)
    {
        var reply = await ExecuteAsync("SIZE " + path, cancellationToken);
        return reply.Code == 213 && long.TryParse(reply.Message.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var size) ? size : null;
    }

    public async Task<DateTimeOffset?> GetModifiedAsync(string path, CancellationToken cancellationToken)
    {
        var reply = await ExecuteAsync("MDTM " + path, cancellationToken);
        return reply.Code == 213 ? FtpListingParser.ParseMdtm(reply.Message) : null;
    }

    /// <summary>
    /// Starts RETR (after REST when <paramref name="offset"/> &gt; 0) and returns the data stream. Reading it to the
    /// end confirms the transfer (TLS close_notify, then the 226 reply) and throws if the server reports a failure;
    /// disposing it earlier abandons the transfer and leaves this client unusable.
    /// </summary>
    public async Task<Stream> OpenReadAsync(string path, long offset, CancellationToken cancellationToken)
    {
        if (offset > 0)
        {
            Expect("REST", await ExecuteAsync("REST " + offset.ToString(CultureInfo.InvariantCulture), cancellationToken), 350);
        }
        return await OpenTransferAsync("RETR " + path, cancellationToken);
    }

    public async Task RenameAsync(string from, string to, CancellationToken cancellationToken)
    {
        Expect("RNFR", await ExecuteAsync("RNFR " + from, cancellationToken), 350);
        Expect("RNTO", await ExecuteAsync("RNTO " + to, cancellationToken), 250);
    }

    public async Task DeleteAsync(string path, CancellationToken cancellationToken) =>
        Expect("DELE", await ExecuteAsync("DELE " + path, cancellationToken), 250);

    /// <summary>Creates a folder; an existing one is fine (550 from MKD is then checked with a listing by the caller if it matters).</summary>
    public async Task<bool> CreateDirectoryAsync(string path, CancellationToken cancellationToken)
    {
        var reply = await ExecuteAsync("MKD " + path, cancellationToken);
        return reply.Code == 257;
    }

    /// <summary>Sends one command and reads its complete reply.</summary>
    public async Task<FtpReply> ExecuteAsync(string command, CancellationToken cancellationToken)
    {
        EnsureUsable();
        var verb = command.Split(' ', 2)[0].ToUpperInvariant();
        Commands.Add(1, new KeyValuePair<string, object?>("ftp.command", verb),
            new KeyValuePair<string, object?>("server.address", _options.Host),
            new KeyValuePair<string, object?>("server.port", _options.Port));
        LogCommand(_logger, verb == "PASS" ? "PASS ****" : command);
        using var timeout = Timeout(cancellationToken);
        try
        {
            await _reader!.Stream.WriteAsync(Encoding.UTF8.GetBytes(command + "\r\n"), timeout.Token);
            await _reader.Stream.FlushAsync(timeout.Token);
        }
        catch
        {
            IsUsable = false;
            throw;
        }
        return await ReadReplyAsync(cancellationToken);
    }

    private async Task<FtpReply> ReadReplyAsync(CancellationToken cancellationToken)
    {
        using var timeout = Timeout(cancellationToken);
        try
        {
            var reply = await _reader!.ReadReplyAsync(timeout.Token);
            LogReply(_logger, reply.Code, reply.Message);
            if (reply.Code == 421)
            {
                IsUsable = false; // service closing: the server hangs up after this
            }
            return reply;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            IsUsable = false;
            throw new TimeoutException($"The FTP server did not answer within {_options.Timeout}.");
        }
        catch
        {
            IsUsable = false;
            throw;
        }
    }

    private async Task<FtpTransferStream> OpenTransferAsync(string command, CancellationToken cancellationToken)
    {
        var data = await OpenPassiveConnectionAsync(cancellationToken);
        var started = false;
        try
        {
            var reply = await ExecuteAsync(command, cancellationToken);
            if (!reply.IsPositivePreliminary)
            {
                throw new FtpCommandException(command.Split(' ', 2)[0], reply);
            }
            started = true;
            Stream stream = data.GetStream();
            if (_dataProtected)
            {
                using var timeout = Timeout(cancellationToken);
                var counting = new CountingStream(stream);
                var ssl = new SslStream(counting, leaveInnerStreamOpen: false);
                await ssl.AuthenticateAsClientAsync(_tls!, timeout.Token);
                LastDataTlsHandshakeBytes = counting.BytesRead;
                stream = ssl;
            }
            return new FtpTransferStream(this, data, stream, _options.Timeout);
        }
        catch
        {
            data.Dispose();
            if (started)
            {
                AbandonTransfer(); // the server still owes a reply for a transfer we cannot finish
            }
            throw;
        }
    }

    private async Task<TcpClient> OpenPassiveConnectionAsync(CancellationToken cancellationToken)
    {
        int? port = null;
        if (_options.UseEpsv && !_epsvRefused)
        {
            var epsv = await ExecuteAsync("EPSV", cancellationToken);
            var match = EpsvReply().Match(epsv.Message);
            if (epsv.Code == 229 && match.Success)
            {
                port = int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
            }
            else
            {
                _epsvRefused = true;
            }
        }
        if (port is null)
        {
            var pasv = await ExecuteAsync("PASV", cancellationToken);
            var match = PasvReply().Match(pasv.Message);
            if (pasv.Code != 227 || !match.Success)
            {
                throw new FtpCommandException("PASV", pasv);
            }
            // The address in the reply is ignored on purpose: behind NAT it is often private or wrong.
            port = int.Parse(match.Groups[5].Value, CultureInfo.InvariantCulture) * 256 + int.Parse(match.Groups[6].Value, CultureInfo.InvariantCulture);
        }
        var data = new TcpClient { NoDelay = true };
        try
        {
            using var timeout = Timeout(cancellationToken);
            await data.ConnectAsync(_remoteAddress!, port.Value, timeout.Token);
            return data;
        }
        catch
        {
            data.Dispose();
            throw;
        }
    }

    /// <summary>Called by the transfer stream at end of data: confirm the transfer on the control connection.</summary>
    internal async Task CompleteTransferAsync(CancellationToken cancellationToken)
    {
        var reply = await ReadReplyAsync(cancellationToken);
        _lastTransferReply = reply;
        if (reply.Code is not (226 or 250))
        {
            throw new FtpCommandException("transfer", reply);
        }
    }

    /// <summary>A transfer stopped half-way: the control connection still owes a reply we will not wait for.</summary>
    internal void AbandonTransfer()
    {
        IsUsable = false;
        _control?.Dispose();
    }

    public async ValueTask DisposeAsync()
    {
        if (_control is null)
        {
            return;
        }
        if (IsUsable)
        {
            try
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                await ExecuteAsync("QUIT", timeout.Token);
            }
            catch (Exception exception) when (exception is IOException or OperationCanceledException or TimeoutException or SocketException)
            {
                // Closing anyway.
            }
        }
        IsUsable = false;
        if (_reader?.Stream is SslStream ssl)
        {
            await ssl.DisposeAsync();
        }
        _control.Dispose();
        _control = null;
    }

    internal CancellationTokenSource Timeout(CancellationToken cancellationToken)
    {
        var source = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        source.CancelAfter(_options.Timeout);
        return source;
    }

    private void EnsureUsable()
    {
        if (!IsUsable || _reader is null)
        {
            throw new IOException("The FTP connection is no longer usable; connect again.");
        }
    }

    private bool ValidateCertificate(X509Certificate? certificate, SslPolicyErrors errors)
    {
        if (string.IsNullOrWhiteSpace(_options.PinnedCertificateSha256))
        {
            return errors == SslPolicyErrors.None;
        }
        if (certificate is null)
        {
            return false;
        }
        var actual = certificate.GetCertHashString(HashAlgorithmName.SHA256);
        var expected = _options.PinnedCertificateSha256.Replace(":", "", StringComparison.Ordinal).Trim();
        return string.Equals(actual, expected, StringComparison.OrdinalIgnoreCase);
    }

    private static void Expect(string command, FtpReply reply, params int[] codes)
    {
        if (!codes.Contains(reply.Code))
        {
            throw new FtpCommandException(command, reply);
        }
    }

    [GeneratedRegex(@"\(\|\|\|(\d+)\|\)", RegexOptions.None, RegexBudget.MatchTimeoutMilliseconds)]
    private static partial Regex EpsvReply();

    [GeneratedRegex(@"(\d+),(\d+),(\d+),(\d+),(\d+),(\d+)", RegexOptions.None, RegexBudget.MatchTimeoutMilliseconds)]
    private static partial Regex PasvReply();

    [LoggerMessage(Level = LogLevel.Debug, Message = "FTP > {Command}")]
    private static partial void LogCommand(ILogger logger, string command);

    [LoggerMessage(Level = LogLevel.Debug, Message = "FTP < {Code} {Text}")]
    private static partial void LogReply(ILogger logger, int code, string text);
}
