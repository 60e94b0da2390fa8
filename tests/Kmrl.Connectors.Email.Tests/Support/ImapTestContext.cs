using Kmrl.Connectors.Email.Imap;
using Kmrl.Connectors.Email.Options;
using Kmrl.Connectors.Hosting;
using Kmrl.Contracts;
using Kmrl.Testing.Servers;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kmrl.Connectors.Email.Tests.Support;

/// <summary>
/// Builds sources against the Dovecot fixture with recording clients, and closes them at dispose: a source keeps its
/// authenticated connection from poll to poll, and Dovecot refuses a user's eleventh connection from one address
/// (<c>mail_max_userip_connections</c>), so sources left open by earlier tests fail a later one's login.
/// </summary>
public sealed class ImapTestContext(DovecotImapServer dovecot, string user = "alice") : IAsyncDisposable
{
    private readonly List<ImapFolderSource> _sources = [];

    public const string MailboxName = "kmrl-ops";

    public RecordingClientFactory Clients { get; } = new();

    public DovecotImapServer Dovecot => dovecot;

    public string User => user;

    public EmailConnectorOptions Options { get; } = new() { FetchChunkSize = 256 * 1024 };

    public ImapConnector Connector =>
        new(Clients, InMemorySecrets.One($"email-{user}", "password", dovecot.Users[user]));

    public MailboxOptions Mailbox(string folder, Action<MailboxOptions>? configure = null)
    {
        var mailbox = new MailboxOptions
        {
            Name = MailboxName,
            Host = dovecot.Host,
            Port = dovecot.Port,
            Tls = ImapTlsMode.None,
            UserName = user,
            Folders = [folder],
            Secret = $"email-{user}",
        };
        configure?.Invoke(mailbox);
        return mailbox;
    }

    public ImapFolderSource Source(string folder, Action<MailboxOptions>? configure = null)
    {
        var source = new ImapFolderSource(Mailbox(folder, configure), folder, Options, Connector, NullLogger<ImapFolderSource>.Instance);
        _sources.Add(source);
        return source;
    }

    public Task DeliverAsync(string folder, MimeKit.MimeMessage message)
    {
        using var buffer = new MemoryStream();
        message.WriteTo(buffer);
        return dovecot.DeliverAsync(user, buffer.ToArray(), folder);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var source in _sources)
        {
            await source.DisposeAsync();
        }
        _sources.Clear();
    }
}

/// <summary>
/// How these tests run the host (<see cref="SourceContract"/>): its default filters plus the archive and binary parts
/// the corpus carries (an Email deployment may allow them the same way, under <c>Connector:Filters</c>).
/// </summary>
public static class EmailHost
{
    public static ContractOptions Options(bool keepContent = true) => new()
    {
        Connector = DocumentSources.Email,
        KeepContent = keepContent,
        Host = Filters,
    };

    private static void Filters(ConnectorHostOptions host)
    {
        host.Filters.AdditionalExtensions.AddRange([".bin", ".gz", ".zip"]);
        host.Filters.AdditionalContentTypes.AddRange(["application/zip", "application/gzip", "application/x-gzip"]);
        host.Filters.MaxSizeBytes = 256L * 1024 * 1024;
    }
}
