using MailKit;

namespace Kmrl.Bench.Connectors;

/// <summary>A MailKit protocol logger that only counts what crossed the wire (IMAP commands, responses, literals).</summary>
public sealed class CountingProtocolLogger(ByteCounter counter) : IProtocolLogger
{
    public IAuthenticationSecretDetector? AuthenticationSecretDetector { get; set; }

    public void LogConnect(Uri uri)
    {
    }

    public void LogClient(byte[] buffer, int offset, int count) => counter.AddSent(count);

    public void LogServer(byte[] buffer, int offset, int count) => counter.AddReceived(count);

    public void Dispose()
    {
    }
}
