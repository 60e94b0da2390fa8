using MailKit;
using MailKit.Net.Imap;

namespace Kmrl.Connectors.Email.Imap;

/// <summary>
/// One sync run's view of the folder's kept <see cref="ImapFolderConnection"/>: listing, part downloads and
/// post-processing all go through it, pinned to the UIDVALIDITY the run read its UIDs under. Work asked for after
/// the run ended (a late download or after-commit move) uses the same kept connection, still pinned.
/// </summary>
internal sealed class ImapFolderSession(ImapFolderConnection connection)
{
    public uint UidValidity { get; private set; }

    /// <summary>Opens (or reuses) the connection and pins the folder's UIDVALIDITY for this run.</summary>
    public async Task<IMailFolder> OpenAsync(CancellationToken cancellationToken)
    {
        var folder = await ImapErrors.TranslateAsync(connection.OpenAsync, cancellationToken);
        UidValidity = folder.UidValidity;
        return folder;
    }

    public Task<T> RunAsync<T>(Func<ImapClient, IMailFolder, CancellationToken, Task<T>> operation, CancellationToken cancellationToken) =>
        ImapErrors.TranslateAsync(token => connection.RunAsync(UidValidity, operation, token), cancellationToken);

    /// <summary>Synchronous use for <see cref="Stream.Read(byte[], int, int)"/>; needs the connection open.</summary>
    public T Run<T>(Func<IMailFolder, T> operation) => connection.Run(UidValidity, operation);
}

/// <summary>The folder's UIDs were renumbered while we held some: they no longer name the same messages.</summary>
public sealed class ImapUidValidityChangedException(string mailbox, string folder, uint expected, uint actual)
    : InvalidOperationException($"UIDVALIDITY of {mailbox}/{folder} changed from {expected} to {actual}; the next sync rescans the folder.");
