extern alias email;

using email::Kmrl.Connectors.Email.Imap;
using MailKit.Net.Imap;

namespace Kmrl.Bench.Connectors;

/// <summary>Gives the email connector's sources MailKit clients whose traffic is counted.</summary>
public sealed class CountingImapClientFactory(ByteCounter counter) : IImapClientFactory
{
    public ImapClient Create(string mailboxName) => new(new CountingProtocolLogger(counter));
}
