using MailKit.Net.Imap;

namespace Kmrl.Connectors.Email.Imap;

/// <summary>Creates the MailKit client for a mailbox (tests plug in a protocol logger here).</summary>
public interface IImapClientFactory
{
    ImapClient Create(string mailboxName);
}

public sealed class DefaultImapClientFactory : IImapClientFactory
{
    public ImapClient Create(string mailboxName) => new();
}
