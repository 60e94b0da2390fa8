using System.Net.Sockets;
using MailKit;
using MailKit.Net.Imap;

namespace Kmrl.Connectors.Email.Imap;

/// <summary>Tells the host which IMAP failures are worth a retry (it retries transient ones with backoff).</summary>
internal static class ImapErrors
{
    public static async Task<T> TranslateAsync<T>(Func<CancellationToken, Task<T>> operation, CancellationToken cancellationToken)
    {
        try
        {
            return await operation(cancellationToken);
        }
        catch (Exception exception) when (IsTransient(exception) && !cancellationToken.IsCancellationRequested)
        {
            throw new SourceTransientException($"IMAP: {exception.Message}", exception);
        }
    }

    /// <summary>
    /// Dropped connections, protocol hiccups (a server BYE mid-command) and a UIDVALIDITY change while reading
    /// (the retry re-reads from the stored checkpoint and rescans). Authentication and missing folders are not transient.
    /// </summary>
    private static bool IsTransient(Exception exception) => exception is
        SocketException or ImapProtocolException or ServiceNotConnectedException or ImapUidValidityChangedException
        or TimeoutException;
}
