using System.Text;
using Kmrl.Testing.Servers;
using MailKit;
using MailKit.Net.Imap;
using MailKit.Security;

namespace Kmrl.Testing.Tests;

public sealed class DovecotImapServerTests(DovecotImapServer dovecot) : IClassFixture<DovecotImapServer>
{
    [Fact]
    public async Task A_user_logs_in_and_sees_a_delivered_message()
    {
        var message = Encoding.ASCII.GetBytes(
            "From: ops@kmrl.example\r\nTo: alice@kmrl.example\r\nSubject: fixture check\r\nMessage-ID: <fixture@kmrl>\r\n\r\nhello\r\n");
        await dovecot.DeliverAsync("alice", message);

        using var client = new ImapClient();
        await client.ConnectAsync(dovecot.Host, dovecot.Port, SecureSocketOptions.None);
        await client.AuthenticateAsync("alice", dovecot.Users["alice"]);
        var inbox = client.Inbox;
        await inbox.OpenAsync(FolderAccess.ReadOnly);

        Assert.True(inbox.Count >= 1);
        Assert.True(client.Capabilities.HasFlag(ImapCapabilities.Idle));
        Assert.NotNull(await client.GetFolderAsync(DovecotImapServer.ProcessedFolder));
        await client.DisconnectAsync(true);
    }

    [Fact]
    public async Task A_forced_uidvalidity_change_is_visible_to_clients()
    {
        await dovecot.DeliverAsync("bob", Encoding.ASCII.GetBytes("Subject: x\r\n\r\nbody\r\n"), "Reports");
        await dovecot.SetUidValidityAsync("bob", 4242, "Reports");

        using var client = new ImapClient();
        await client.ConnectAsync(dovecot.Host, dovecot.Port, SecureSocketOptions.None);
        await client.AuthenticateAsync("bob", dovecot.Users["bob"]);
        var folder = await client.GetFolderAsync("Reports");
        await folder.OpenAsync(FolderAccess.ReadOnly);

        Assert.Equal(4242u, folder.UidValidity);
    }

    [Fact]
    public async Task A_wrong_password_is_refused()
    {
        using var client = new ImapClient();
        await client.ConnectAsync(dovecot.Host, dovecot.Port, SecureSocketOptions.None);
        await Assert.ThrowsAsync<AuthenticationException>(() => client.AuthenticateAsync("alice", "wrong"));
    }
}
