using Kmrl.Contracts;

namespace Kmrl.Connectors.Email.Options;

/// <summary>Configuration section <c>Email</c>: the mailboxes this connector reads.</summary>
public sealed class EmailConnectorOptions
{
    public const string SectionName = "Email";

    public List<MailboxOptions> Mailboxes { get; set; } = [];

    /// <summary>IDLE is re-issued after this long; RFC 2177 servers may drop an IDLE after 30 minutes.</summary>
    public TimeSpan IdleRestartInterval { get; set; } = TimeSpan.FromMinutes(9);

    /// <summary>First reconnect delay of the IDLE watcher; doubles up to <see cref="IdleReconnectMaxDelay"/>.</summary>
    public TimeSpan IdleReconnectInitialDelay { get; set; } = TimeSpan.FromSeconds(1);

    public TimeSpan IdleReconnectMaxDelay { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>Bytes asked per partial FETCH of a document part; bounds the memory a download holds.</summary>
    public int FetchChunkSize { get; set; } = 1024 * 1024;

    /// <summary>Messages whose structure is fetched in one FETCH command.</summary>
    public int SummaryBatchSize { get; set; } = 100;

    /// <summary>
    /// Times one message's structure is asked for alone, each refused the same way by the client, before it is
    /// dead-lettered and the folder goes on past it.
    /// </summary>
    public int PoisonMessageAttempts { get; set; } = 3;
}

public sealed class MailboxOptions
{
    /// <summary>Short stable name (part of the source name and SourceIds), e.g. <c>ops-mailbox</c>.</summary>
    public string Name { get; set; } = string.Empty;

    public string Host { get; set; } = string.Empty;

    public int Port { get; set; } = 993;

    public ImapTlsMode Tls { get; set; } = ImapTlsMode.SslOnConnect;

    /// <summary>Lab opt-out: lets <see cref="Tls"/> be <c>None</c>, which sends the password or token in clear text. Never in production.</summary>
    public bool AllowInsecureConnection { get; set; }

    public string UserName { get; set; } = string.Empty;

    /// <summary>Folders to read; empty means INBOX only.</summary>
    public List<string> Folders { get; set; } = [];

    public ImapAuthKind Auth { get; set; } = ImapAuthKind.Password;

    /// <summary>
    /// The mailbox's secret in the Dapr secret store, e.g. <c>email-ops-mailbox</c>: key <c>password</c> for Auth
    /// Password, <c>oauth2-token</c> (an access token) for OAuth2.
    /// </summary>
    public string Secret { get; set; } = string.Empty;

    /// <summary>The key of <see cref="Secret"/> that <see cref="Auth"/> signs in with.</summary>
    public string SecretKey => Auth == ImapAuthKind.OAuth2 ? DaprNames.Secrets.MailboxKeys.OAuth2Token : DaprNames.Secrets.MailboxKeys.Password;

    public PostProcessing PostProcessing { get; set; } = PostProcessing.Leave;

    /// <summary>Target of <see cref="PostProcessing.Move"/>.</summary>
    public string ProcessedFolder { get; set; } = "Processed";

    /// <summary>Keyword set by <see cref="PostProcessing.Flag"/> (\Flagged when the server refuses custom keywords).</summary>
    public string ProcessedKeyword { get; set; } = "$KmrlProcessed";

    /// <summary>Senders to accept (address, <c>@domain</c> or <c>domain</c>); empty accepts everyone not denied.</summary>
    public List<string> AllowedSenders { get; set; } = [];

    /// <summary>Senders to ignore; a deny wins over an allow.</summary>
    public List<string> DeniedSenders { get; set; } = [];

    /// <summary>Watch the folders with IMAP IDLE (one dedicated connection per folder).</summary>
    public bool UseIdle { get; set; } = true;

    public IReadOnlyList<string> EffectiveFolders => Folders.Count == 0 ? ["INBOX"] : Folders;
}

public enum ImapTlsMode
{
    None,
    StartTls,
    SslOnConnect,
}

public enum ImapAuthKind
{
    Password,
    OAuth2,
}

public enum PostProcessing
{
    Leave,
    Move,
    Flag,
}
