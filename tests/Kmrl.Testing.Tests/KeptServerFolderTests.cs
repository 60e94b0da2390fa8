using System.Text;
using Kmrl.Testing.Servers;
using MailKit;
using MailKit.Net.Imap;
using MailKit.Security;

namespace Kmrl.Testing.Tests;

/// <summary>The servers on a kept folder (the local demo's <c>.data/demo</c>): their data outlives them, in that folder.</summary>
public sealed class KeptServerFolderTests
{
    [Fact]
    public async Task A_dovecot_on_a_kept_folder_keeps_its_mail_and_a_new_one_there_serves_it_with_the_same_uidvalidity()
    {
        using var parent = new TempDirectory("kept");
        var folder = Path.Combine(parent.Path, "imap");
        uint firstValidity;
        await using (var first = new DovecotImapServer { DataDirectory = folder })
        {
            await first.InitializeAsync();
            await first.DeliverAsync("alice", Encoding.ASCII.GetBytes("Subject: kept\r\nMessage-ID: <kept@kmrl>\r\n\r\nbody\r\n"));
            (firstValidity, _) = await InboxAsync(first);
        }

        Assert.True(Directory.Exists(Path.Combine(folder, "mail", "alice")), "the mailbox was removed with the server");
        await using var second = new DovecotImapServer { DataDirectory = folder };
        await second.InitializeAsync();
        var (validity, count) = await InboxAsync(second);

        Assert.Equal(1, count);
        Assert.Equal(firstValidity, validity);
    }

    [Fact]
    public async Task A_pure_ftpd_on_a_kept_folder_starts_again_with_its_files()
    {
        using var parent = new TempDirectory("kept");
        var folder = Path.Combine(parent.Path, "ftp");
        await using (var first = new PureFtpServer { DataDirectory = folder })
        {
            await first.InitializeAsync();
            await first.SeedFileAsync("exports/WO-2041.docx", Encoding.ASCII.GetBytes("job card"));
        }

        // pure-pw refuses a user that is already in the passwd file: a second start on the folder must still work.
        await using var second = new PureFtpServer { DataDirectory = folder };
        await second.InitializeAsync();

        Assert.Equal(Path.Combine(folder, "ftp"), second.RootPath);
        Assert.Equal("job card", await File.ReadAllTextAsync(Path.Combine(second.RootPath, "exports", "WO-2041.docx")));
    }

    private static async Task<(uint Validity, int Count)> InboxAsync(DovecotImapServer server)
    {
        using var client = new ImapClient();
        await client.ConnectAsync(server.Host, server.Port, SecureSocketOptions.None);
        await client.AuthenticateAsync("alice", server.Users["alice"]);
        await client.Inbox.OpenAsync(FolderAccess.ReadOnly);
        var result = (client.Inbox.UidValidity, client.Inbox.Count);
        await client.DisconnectAsync(true);
        return result;
    }
}
