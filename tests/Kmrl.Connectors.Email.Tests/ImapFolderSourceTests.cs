using Kmrl.Connectors.Email.Imap;
using Kmrl.Connectors.Email.Tests.Support;
using Kmrl.Contracts;
using Kmrl.Testing.Servers;

namespace Kmrl.Connectors.Email.Tests;

public sealed class ImapFolderSourceTests(DovecotImapServer dovecot) : IClassFixture<DovecotImapServer>
{
    [Fact]
    public async Task New_mail_after_the_checkpoint_is_picked_up_exactly_once()
    {
        await using var context = new ImapTestContext(dovecot);
        const string folder = "ExactlyOnce";
        var first = Corpus.Bytes("first", 3000);
        await context.DeliverAsync(folder, Corpus.WithAttachments("first", Corpus.Attachment("first.pdf", "application/pdf", first)));
        var source = context.Source(folder);

        var run1 = await SourceContract.RunAsync(source, null, EmailHost.Options());
        var second = Corpus.Bytes("second", 5000);
        await context.DeliverAsync(folder, Corpus.WithAttachments("second", Corpus.Attachment("second.pdf", "application/pdf", second)));
        var run2 = await SourceContract.RunAsync(source, run1.Checkpoint, EmailHost.Options());
        var run3 = await SourceContract.RunAsync(source, run2.Checkpoint, EmailHost.Options());

        var one = Assert.Single(run1.Documents);
        Assert.Equal(SourceContract.Sha256(first), one.Sha256);
        var two = Assert.Single(run2.Documents);
        Assert.Equal("second.pdf", two.FileName);
        Assert.Equal(SourceContract.Sha256(second), two.Sha256);
        Assert.Empty(run3.Documents);
        var stored = run2.CheckpointAs<ImapCheckpoint>();
        Assert.NotNull(stored);
        Assert.Equal(2u, stored.LastUid);
        Assert.Equal(run2.Checkpoint, run3.Checkpoint);
    }

    [Fact]
    public async Task More_one_shot_syncs_than_the_per_user_connection_limit_all_sign_in_when_each_context_is_disposed()
    {
        // CI (stop 26) failed a login with "The IMAP server has unexpectedly disconnected": every test's source kept
        // its connection open, and the class's eleventh connection for one user was refused.
        const string folder = "ConnectionLimit";
        await new ImapTestContext(dovecot).DeliverAsync(folder, Corpus.WithAttachments("one",
            Corpus.Attachment("one.pdf", "application/pdf", Corpus.Bytes("one", 1000))));

        for (var sync = 0; sync < DovecotImapServer.MaxConnectionsPerUserAndAddress + 2; sync++)
        {
            await using var context = new ImapTestContext(dovecot);
            var run = await SourceContract.RunAsync(context.Source(folder), null, EmailHost.Options());
            Assert.Equal("one.pdf", Assert.Single(run.Documents).FileName);
        }
    }

    [Fact]
    public async Task A_poll_with_no_new_mail_sends_no_fetch()
    {
        await using var context = new ImapTestContext(dovecot);
        const string folder = "QuietPoll";
        await context.DeliverAsync(folder, Corpus.WithAttachments("only", Corpus.Attachment("a.pdf", "application/pdf", Corpus.Bytes("a", 100))));
        var source = context.Source(folder);
        var run1 = await SourceContract.RunAsync(source, null, EmailHost.Options());
        await using var pollContext = new ImapTestContext(dovecot);
        var poll = await SourceContract.RunAsync(pollContext.Source(folder), run1.Checkpoint, EmailHost.Options());

        var sent = pollContext.Clients.AllClientLines;
        var received = pollContext.Clients.Loggers.SelectMany(logger => logger.ServerLines).ToList();
        Assert.Empty(poll.Documents);
        Assert.Equal(0, poll.CheckpointsStored);
        Assert.Contains(sent, line => line.Contains("UID SEARCH", StringComparison.Ordinal) && line.EndsWith("UID 2:*", StringComparison.Ordinal));
        // The "*" trap was real: the server answered with UID 1, which is not new, and it was dropped client-side.
        Assert.Contains(received, line => line.StartsWith("* ESEARCH", StringComparison.Ordinal) && line.EndsWith("UID ALL 1", StringComparison.Ordinal));
        Assert.DoesNotContain(sent, line => line.Contains(" FETCH ", StringComparison.Ordinal));
        Assert.Contains(context.Clients.AllClientLines, line => line.Contains("UID FETCH", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_uidvalidity_change_rescans_with_the_same_source_ids_and_hashes()
    {
        await using var context = new ImapTestContext(dovecot);
        const string folder = "Rescan";
        await context.DeliverAsync(folder, Corpus.WithAttachments("one", Corpus.Attachment("one.pdf", "application/pdf", Corpus.Bytes("one", 4000))));
        await context.DeliverAsync(folder, Corpus.WithAttachments("two",
            Corpus.Attachment("two.pdf", "application/pdf", Corpus.Bytes("two", 4000)),
            Corpus.Attachment("two.csv", "text/csv", "a,b\r\n1,2\r\n"u8.ToArray(), MimeKit.ContentEncoding.QuotedPrintable)));
        var source = context.Source(folder);
        var before = await SourceContract.RunAsync(source, null, EmailHost.Options());

        await dovecot.SetUidValidityAsync(context.User, 4242, folder);
        var after = await SourceContract.RunAsync(source, before.Checkpoint, EmailHost.Options());
        var again = await SourceContract.RunAsync(source, after.Checkpoint, EmailHost.Options());

        Assert.Equal(3, before.Documents.Count);
        Assert.Equal(4242u, after.CheckpointAs<ImapCheckpoint>()!.UidValidity);
        Assert.NotEqual(4242u, before.CheckpointAs<ImapCheckpoint>()!.UidValidity);
        // Downstream idempotency keys are (source, SourceId, sha256): the rescan produces exactly the same keys.
        var keysBefore = before.Documents.Select(d => IdempotencyKey.For(source.Name, d.SourceId, d.Sha256)).Order().ToList();
        var keysAfter = after.Documents.Select(d => IdempotencyKey.For(source.Name, d.SourceId, d.Sha256)).Order().ToList();
        Assert.Equal(keysBefore, keysAfter);
        Assert.All(after.Documents, d => Assert.Equal("4242", d.Metadata[EmailMetadataKeys.UidValidity]));
        Assert.Empty(again.Documents);
    }

    [Fact]
    public async Task Documents_carry_the_message_metadata()
    {
        await using var context = new ImapTestContext(dovecot);
        const string folder = "Metadata";
        var message = Corpus.WithAttachments("Tender clarification", Corpus.Attachment("tender.pdf", "application/pdf", Corpus.Bytes("t", 1000)));
        message.MessageId = "tender-42@kmrl.example";
        message.InReplyTo = "tender-41@kmrl.example";
        await context.DeliverAsync(folder, message);

        var result = await SourceContract.RunAsync(context.Source(folder), null, EmailHost.Options());

        var document = Assert.Single(result.Documents);
        var metadata = document.Metadata;
        Assert.Equal(("Ops Desk", "ops@kmrl.example"), Single(metadata[EmailMetadataKeys.From]));
        Assert.Equal(("Records", "records@kmrl.example"), Single(metadata[EmailMetadataKeys.To]));
        Assert.Equal(("Finance", "finance@kmrl.example"), Single(metadata[EmailMetadataKeys.Cc]));
        Assert.Equal("Tender clarification", metadata[EmailMetadataKeys.Subject]);
        Assert.Equal("2026-11-20T10:30:00.0000000+05:30", metadata[EmailMetadataKeys.Date]);
        Assert.Equal("tender-42@kmrl.example", metadata[EmailMetadataKeys.MessageId]);
        Assert.Equal("tender-41@kmrl.example", metadata[EmailMetadataKeys.InReplyTo]);
        Assert.Equal(folder, metadata[EmailMetadataKeys.Folder]);
        Assert.Equal("1", metadata[EmailMetadataKeys.Uid]);
        Assert.Equal(ImapTestContext.MailboxName, metadata[EmailMetadataKeys.Mailbox]);
        Assert.Equal("2", metadata[EmailMetadataKeys.Part]);
        Assert.Matches("^mid-[0-9a-f]{32}/2$", document.SourceId);
        Assert.Equal("application/pdf", document.ContentType);
    }

    private static (string Name, string Address) Single(string addressList)
    {
        var mailbox = Assert.Single(MimeKit.InternetAddressList.Parse(addressList).Mailboxes);
        return (mailbox.Name ?? string.Empty, mailbox.Address);
    }

    [Fact]
    public async Task Mail_from_a_denied_sender_yields_no_documents_but_moves_the_checkpoint()
    {
        await using var context = new ImapTestContext(dovecot);
        const string folder = "Senders";
        var spam = Corpus.WithAttachments("invoice", Corpus.Attachment("invoice.pdf", "application/pdf", Corpus.Bytes("x", 100)));
        spam.From.Clear();
        spam.From.Add(new MimeKit.MailboxAddress("Someone", "billing@spam.example"));
        await context.DeliverAsync(folder, spam);
        await context.DeliverAsync(folder, Corpus.WithAttachments("ok", Corpus.Attachment("ok.pdf", "application/pdf", Corpus.Bytes("y", 100))));

        var result = await SourceContract.RunAsync(context.Source(folder, mailbox =>
        {
            mailbox.DeniedSenders = ["spam.example"];
            mailbox.AllowedSenders = ["@kmrl.example"];
        }), null, EmailHost.Options());

        Assert.Equal("ok.pdf", Assert.Single(result.Documents).FileName);
        Assert.Equal(2u, result.CheckpointAs<ImapCheckpoint>()!.LastUid);
        Assert.Equal(2, result.CheckpointsStored);
    }

    [Fact]
    public async Task Content_opened_after_the_run_ended_is_read_on_the_kept_connection()
    {
        await using var context = new ImapTestContext(dovecot);
        const string folder = "LateRead";
        var pdf = Corpus.Bytes("late", 600_000);
        await context.DeliverAsync(folder, Corpus.WithAttachments("late", Corpus.Attachment("late.pdf", "application/pdf", pdf)));
        var documents = new List<SourceDocument>();
        await using var source = context.Source(folder);
        await foreach (var change in source.ReadChangesAsync(null, CancellationToken.None))
        {
            if (change is SourceDocument document)
            {
                documents.Add(document);
            }
        }

        await using var content = await Assert.Single(documents).OpenContentAsync(CancellationToken.None);
        var (sha, length) = await SourceContract.HashAsync(content);

        Assert.Equal(SourceContract.Sha256(pdf), sha);
        Assert.Equal(pdf.Length, length);
        Assert.Single(context.Clients.Loggers);
    }

    [Fact]
    public async Task A_poll_with_no_new_mail_reuses_the_logged_in_connection_with_a_noop_and_one_search()
    {
        await using var context = new ImapTestContext(dovecot);
        const string folder = "KeptSession";
        await context.DeliverAsync(folder, Corpus.WithAttachments("kept", Corpus.Attachment("a.pdf", "application/pdf", Corpus.Bytes("k", 100))));
        await using var source = context.Source(folder);
        var run1 = await SourceContract.RunAsync(source, null, EmailHost.Options());
        var logger = Assert.Single(context.Clients.Loggers);
        var before = logger.ClientLines.Count;

        var poll = await SourceContract.RunAsync(source, run1.Checkpoint, EmailHost.Options());

        Assert.Empty(poll.Documents);
        Assert.Single(context.Clients.Loggers);
        var commands = logger.ClientLines.Skip(before).Select(line => line.Split(' ', 3)[1]).ToList();
        Assert.Equal(["NOOP", "UID"], commands);
        Assert.Contains(logger.ClientLines.Skip(before), line => line.Contains("UID SEARCH", StringComparison.Ordinal));
    }

    [Fact]
    public async Task After_the_server_restarted_between_polls_the_next_poll_logs_in_again_and_reads_the_new_mail()
    {
        await using var context = new ImapTestContext(dovecot);
        const string folder = "Reconnect";
        await context.DeliverAsync(folder, Corpus.WithAttachments("before", Corpus.Attachment("before.pdf", "application/pdf", Corpus.Bytes("b", 100))));
        await using var source = context.Source(folder);
        var run1 = await SourceContract.RunAsync(source, null, EmailHost.Options());

        await dovecot.RestartAsync();
        var after = Corpus.Bytes("after", 4000);
        await context.DeliverAsync(folder, Corpus.WithAttachments("after", Corpus.Attachment("after.pdf", "application/pdf", after)));
        var run2 = await SourceContract.RunAsync(source, run1.Checkpoint, EmailHost.Options());

        Assert.Equal("before.pdf", Assert.Single(run1.Documents).FileName);
        var document = Assert.Single(run2.Documents);
        Assert.Equal(SourceContract.Sha256(after), document.Sha256);
        Assert.Equal(2, context.Clients.Loggers.Count);
    }

    [Fact]
    public async Task Content_can_be_read_synchronously_during_the_run()
    {
        await using var context = new ImapTestContext(dovecot);
        const string folder = "SyncRead";
        var pdf = Corpus.Bytes("sync", 700_000);
        await context.DeliverAsync(folder, Corpus.WithAttachments("sync", Corpus.Attachment("sync.pdf", "application/pdf", pdf)));
        byte[]? read = null;
        await foreach (var change in context.Source(folder).ReadChangesAsync(null, CancellationToken.None))
        {
            if (change is SourceDocument document)
            {
                using var content = await document.OpenContentAsync(CancellationToken.None);
                using var copy = new MemoryStream();
                content.CopyTo(copy);
                read = copy.ToArray();
            }
        }

        Assert.NotNull(read);
        Assert.Equal(SourceContract.Sha256(pdf), SourceContract.Sha256(read));
        Assert.Single(context.Clients.Loggers);
    }
}
