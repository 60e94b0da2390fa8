using Kmrl.Connectors.Email.Imap;
using Kmrl.Connectors.Email.Options;
using Kmrl.Connectors.Email.Tests.Support;
using Kmrl.Testing.Servers;
using MailKit;
using MailKit.Net.Imap;
using MailKit.Search;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kmrl.Connectors.Email.Tests;

public sealed class PostProcessingTests(DovecotImapServer dovecot) : IClassFixture<DovecotImapServer>
{
    private async Task<(ImapClient Client, RecordingProtocolLogger Log)> ConnectAsync()
    {
        var log = new RecordingProtocolLogger();
        var client = new ImapClient(log);
        await client.ConnectAsync(dovecot.Host, dovecot.Port, MailKit.Security.SecureSocketOptions.None);
        await client.AuthenticateAsync("bob", dovecot.Users["bob"]);
        return (client, log);
    }

    private async Task<IList<UniqueId>> FindAsync(ImapClient client, string folderName, string? messageId)
    {
        var folder = await client.GetFolderAsync(folderName);
        await folder.OpenAsync(FolderAccess.ReadOnly);
        return await folder.SearchAsync(SearchQuery.HeaderContains("Message-ID", messageId ?? throw new ArgumentNullException(nameof(messageId))));
    }

    [Fact]
    public async Task A_published_message_is_moved_to_processed_after_the_commit()
    {
        await using var context = new ImapTestContext(dovecot, "bob");
        const string folder = "MoveIn";
        var message = Corpus.WithAttachments("move me", Corpus.Attachment("m.pdf", "application/pdf", Corpus.Bytes("m", 100)));
        var quiet = Corpus.NoDocuments();
        await context.DeliverAsync(folder, message);
        await context.DeliverAsync(folder, quiet);

        var result = await SourceContract.RunAsync(context.Source(folder, mailbox => mailbox.PostProcessing = PostProcessing.Move), null, EmailHost.Options());

        Assert.Single(result.Documents);
        Assert.Contains(context.Clients.AllClientLines, line => line.Contains("UID MOVE 1 Processed", StringComparison.Ordinal));
        var (client, _) = await ConnectAsync();
        using (client)
        {
            Assert.Empty(await FindAsync(client, folder, message.MessageId));
            Assert.Single(await FindAsync(client, DovecotImapServer.ProcessedFolder, message.MessageId));
            // A message without documents was not ingested, so it stays where it is.
            Assert.Single(await FindAsync(client, folder, quiet.MessageId));
        }
    }

    [Fact]
    public async Task Without_move_the_message_is_copied_flagged_deleted_and_uid_expunged()
    {
        await using var context = new ImapTestContext(dovecot, "bob");
        const string folder = "CopyIn";
        var keep = Corpus.NoDocuments();
        var message = Corpus.WithAttachments("copy me", Corpus.Attachment("c.pdf", "application/pdf", Corpus.Bytes("c", 100)));
        await context.DeliverAsync(folder, keep);
        await context.DeliverAsync(folder, message);
        var (client, log) = await ConnectAsync();
        using (client)
        {
            var source = await client.GetFolderAsync(folder);
            await source.OpenAsync(FolderAccess.ReadWrite);
            // Someone else's \Deleted mark must survive: only our UID is expunged.
            await source.StoreAsync(new UniqueId(1), new StoreFlagsRequest(StoreAction.Add, MessageFlags.Deleted) { Silent = true });
            client.Capabilities &= ~ImapCapabilities.Move;

            var applied = await PostProcessor.ApplyAsync(client, source, new UniqueId(2),
                context.Mailbox(folder, mailbox => mailbox.PostProcessing = PostProcessing.Move), NullLogger.Instance, CancellationToken.None);

            Assert.True(applied);
            var sent = log.ClientLines;
            Assert.DoesNotContain(sent, line => line.Contains("MOVE", StringComparison.Ordinal));
            Assert.Contains(sent, line => line.Contains("UID COPY 2 Processed", StringComparison.Ordinal));
            Assert.Contains(sent, line => line.Contains("UID STORE 2 +FLAGS.SILENT (\\Deleted)", StringComparison.Ordinal));
            Assert.Contains(sent, line => line.Contains("UID EXPUNGE 2", StringComparison.Ordinal));
            Assert.Empty(await FindAsync(client, folder, message.MessageId));
            Assert.Single(await FindAsync(client, folder, keep.MessageId));
            Assert.Single(await FindAsync(client, DovecotImapServer.ProcessedFolder, message.MessageId));
        }
    }

    [Fact]
    public async Task Flagging_marks_the_message_with_the_processed_keyword()
    {
        await using var context = new ImapTestContext(dovecot, "bob");
        const string folder = "FlagIn";
        var message = Corpus.WithAttachments("flag me", Corpus.Attachment("f.pdf", "application/pdf", Corpus.Bytes("f", 100)));
        await context.DeliverAsync(folder, message);

        await SourceContract.RunAsync(context.Source(folder, mailbox => mailbox.PostProcessing = PostProcessing.Flag), null, EmailHost.Options());

        var (client, _) = await ConnectAsync();
        using (client)
        {
            var inbox = await client.GetFolderAsync(folder);
            await inbox.OpenAsync(FolderAccess.ReadOnly);
            var summary = Assert.Single(await inbox.FetchAsync(0, -1, MessageSummaryItems.Flags));
            Assert.Contains("$KmrlProcessed", summary.Keywords);
        }
    }
}
