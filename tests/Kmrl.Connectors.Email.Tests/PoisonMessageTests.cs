using Kmrl.Connectors.Email.Imap;
using Kmrl.Connectors.Email.Tests.Support;
using Kmrl.Testing.Servers;

namespace Kmrl.Connectors.Email.Tests;

/// <summary>
/// Issue 18: one message the client cannot read must not stop the folder. Real Dovecot, messages stored with
/// doveadm save: a Subject over 4 KiB (which the server sends as a literal in ENVELOPE), then a good message.
/// </summary>
public sealed class PoisonMessageTests(DovecotImapServer dovecot) : IClassFixture<DovecotImapServer>
{
    [Fact]
    public async Task A_message_with_a_subject_over_4_kib_is_passed_over_and_the_next_good_mail_arrives()
    {
        await using var context = new ImapTestContext(dovecot);
        const string folder = "HugeSubject";
        await context.DeliverAsync(folder, Corpus.WithAttachments("Tender " + new string('x', 5 * 1024),
            Corpus.Attachment("huge-subject.pdf", "application/pdf", Corpus.Bytes("huge", 2000))));
        var good = Corpus.Bytes("good", 3000);
        await context.DeliverAsync(folder, Corpus.WithAttachments("Good mail", Corpus.Attachment("good.pdf", "application/pdf", good)));

        var source = context.Source(folder);
        var unreadable = new List<SourceUnreadable>();
        var checkpoints = new List<uint>();
        await foreach (var change in source.ReadChangesAsync(null, CancellationToken.None).WithCancellation(new CancellationTokenSource(TimeSpan.FromSeconds(60)).Token))
        {
            if (change is SourceUnreadable item) unreadable.Add(item);
            if (change is SourceCheckpoint checkpoint) checkpoints.Add(SourceContract.ReadCheckpoint<ImapCheckpoint>(checkpoint.Value)!.LastUid);
        }
        var run = await SourceContract.RunAsync(context.Source(folder), null, EmailHost.Options()).WaitAsync(TimeSpan.FromSeconds(60));

        var document = Assert.Single(run.Documents);
        Assert.Equal("good.pdf", document.FileName);
        Assert.Equal(SourceContract.Sha256(good), document.Sha256);
        Assert.Equal(2u, run.CheckpointAs<ImapCheckpoint>()!.LastUid);
        var poison = Assert.Single(unreadable);
        Assert.StartsWith("unreadable-message:", poison.Reason, StringComparison.Ordinal);
        Assert.Equal(context.Options.PoisonMessageAttempts, poison.Attempts);
        Assert.Equal("1", poison.Metadata["uid"]);
        // The checkpoint passes the poison message before the good one is listed.
        Assert.Equal([1u, 2u], checkpoints);
    }
}
