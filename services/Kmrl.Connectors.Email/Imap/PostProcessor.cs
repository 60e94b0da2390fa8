using Kmrl.Connectors.Email.Options;
using MailKit;
using MailKit.Net.Imap;
using Microsoft.Extensions.Logging;

namespace Kmrl.Connectors.Email.Imap;

/// <summary>What happens to a message after its documents are published and the checkpoint stored.</summary>
public static partial class PostProcessor
{
    public static async Task<bool> ApplyAsync(ImapClient client, IMailFolder folder, UniqueId uid, MailboxOptions mailbox,
        ILogger logger, CancellationToken cancellationToken)
    {
        switch (mailbox.PostProcessing)
        {
            case PostProcessing.Move:
                await MoveAsync(client, folder, uid, mailbox, logger, cancellationToken);
                return true;
            case PostProcessing.Flag:
                var keywords = folder.PermanentKeywords.Contains("*") || folder.PermanentFlags.HasFlag(MessageFlags.UserDefined)
                    ? new StoreFlagsRequest(StoreAction.Add, MessageFlags.None, [mailbox.ProcessedKeyword]) { Silent = true }
                    : new StoreFlagsRequest(StoreAction.Add, MessageFlags.Flagged) { Silent = true };
                await folder.StoreAsync(uid, keywords, cancellationToken);
                return true;
            default:
                return false;
        }
    }

    private static async Task MoveAsync(ImapClient client, IMailFolder folder, UniqueId uid, MailboxOptions mailbox,
        ILogger logger, CancellationToken cancellationToken)
    {
        var target = await GetOrCreateAsync(client, mailbox.ProcessedFolder, cancellationToken);
        if (client.Capabilities.HasFlag(ImapCapabilities.Move))
        {
            await folder.MoveToAsync(uid, target, cancellationToken);
            return;
        }

        // RFC 6851 fallback: COPY, mark \Deleted, and expunge only this UID (UIDPLUS) so we never expunge
        // messages someone else marked \Deleted.
        await folder.CopyToAsync(uid, target, cancellationToken);
        await folder.StoreAsync(uid, new StoreFlagsRequest(StoreAction.Add, MessageFlags.Deleted) { Silent = true }, cancellationToken);
        if (client.Capabilities.HasFlag(ImapCapabilities.UidPlus))
        {
            await folder.ExpungeAsync([uid], cancellationToken);
        }
        else
        {
            LogLeftDeleted(logger, mailbox.Name, folder.FullName, uid.Id);
        }
    }

    private static async Task<IMailFolder> GetOrCreateAsync(ImapClient client, string name, CancellationToken cancellationToken)
    {
        try
        {
            return await client.GetFolderAsync(name, cancellationToken);
        }
        catch (FolderNotFoundException)
        {
            var root = client.GetFolder(client.PersonalNamespaces[0]);
            return await root.CreateAsync(name, isMessageFolder: true, cancellationToken)
                ?? throw new InvalidOperationException($"Folder '{name}' could not be created.");
        }
    }

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "Mailbox {Mailbox} folder {Folder}: no MOVE or UIDPLUS, message {Uid} copied and left marked as deleted")]
    private static partial void LogLeftDeleted(ILogger logger, string mailbox, string folder, uint uid);
}
