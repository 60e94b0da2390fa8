using Kmrl.BuildingBlocks.Secrets;
using Kmrl.Connectors.Email.Options;
using MailKit.Net.Imap;
using MailKit.Security;

namespace Kmrl.Connectors.Email.Imap;

/// <summary>Opens an authenticated IMAP connection for a configured mailbox.</summary>
public sealed class ImapConnector(IImapClientFactory clients, ISecretProvider secrets)
{
    public async Task<ImapClient> ConnectAsync(MailboxOptions mailbox, CancellationToken cancellationToken)
    {
        var client = clients.Create(mailbox.Name);
        try
        {
            var socketOptions = mailbox.Tls switch
            {
                ImapTlsMode.None => SecureSocketOptions.None,
                ImapTlsMode.StartTls => SecureSocketOptions.StartTls,
                _ => SecureSocketOptions.SslOnConnect,
            };
            await client.ConnectAsync(mailbox.Host, mailbox.Port, socketOptions, cancellationToken);
            var secret = await secrets.GetSecretAsync(mailbox.Secret, mailbox.SecretKey, cancellationToken);
            if (mailbox.Auth == ImapAuthKind.OAuth2)
            {
                await client.AuthenticateAsync(new SaslMechanismOAuth2(mailbox.UserName, secret), cancellationToken);
            }
            else
            {
                await client.AuthenticateAsync(mailbox.UserName, secret, cancellationToken);
            }
            return client;
        }
        catch
        {
            client.Dispose();
            throw;
        }
    }
}
