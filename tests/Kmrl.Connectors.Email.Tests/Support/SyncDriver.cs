using System.Security.Cryptography;
using Kmrl.Connectors.Email.Imap;
using Kmrl.Connectors.Email.Options;
using Kmrl.Testing.Servers;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kmrl.Connectors.Email.Tests.Support;

public sealed record ReadDocument(
    string SourceId, string FileName, string? ContentType, long? Size, IReadOnlyDictionary<string, string> Metadata,
    string Sha256, long Length);

public sealed record SyncResult(IReadOnlyList<ReadDocument> Documents, string? Checkpoint, int CheckpointsSeen, IReadOnlyList<SourceUnreadable>? Unreadable = null);

/// <summary>
/// Drives a source the way the connector host does: read each document's content to the end (here into a hashing,
/// counting sink instead of the claim check), store each checkpoint, then run its after-commit step.
/// </summary>
public static class SyncDriver
{
    public static async Task<SyncResult> RunAsync(IDocumentSource source, string? checkpoint, Func<Stream, Task<(string Sha256, long Length)>>? sink = null)
    {
        var documents = new List<ReadDocument>();
        var unreadable = new List<SourceUnreadable>();
        var seen = 0;
        await foreach (var change in source.ReadChangesAsync(checkpoint, CancellationToken.None))
        {
            switch (change)
            {
                case SourceDocument document:
                    await using (var content = await document.OpenContentAsync(CancellationToken.None))
                    {
                        var (sha, length) = await (sink ?? HashAsync)(content);
                        documents.Add(new ReadDocument(document.SourceId, document.FileName, document.DeclaredContentType,
                            document.Size, document.Metadata, sha, length));
                    }
                    break;
                case SourceUnreadable item:
                    unreadable.Add(item);
                    break;
                case SourceCheckpoint marker:
                    checkpoint = marker.Value;
                    seen++;
                    if (marker.AfterCommitAsync is not null)
                    {
                        await marker.AfterCommitAsync(CancellationToken.None);
                    }
                    break;
            }
        }
        return new SyncResult(documents, checkpoint, seen, unreadable);
    }

    public static async Task<(string Sha256, long Length)> HashAsync(Stream content)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[81920];
        long length = 0;
        int read;
        while ((read = await content.ReadAsync(buffer)) > 0)
        {
            hash.AppendData(buffer, 0, read);
            length += read;
        }
        return (Convert.ToHexStringLower(hash.GetHashAndReset()), length);
    }

    public static string Sha256(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));
}

/// <summary>Builds sources against the Dovecot fixture with recording clients.</summary>
public sealed class ImapTestContext(DovecotImapServer dovecot, string user = "alice")
{
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

    public ImapFolderSource Source(string folder, Action<MailboxOptions>? configure = null) =>
        new(Mailbox(folder, configure), folder, Options, Connector, NullLogger<ImapFolderSource>.Instance);

    public Task DeliverAsync(string folder, MimeKit.MimeMessage message)
    {
        using var buffer = new MemoryStream();
        message.WriteTo(buffer);
        return dovecot.DeliverAsync(user, buffer.ToArray(), folder);
    }
}
