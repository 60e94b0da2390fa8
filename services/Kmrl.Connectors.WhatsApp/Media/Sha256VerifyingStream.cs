using System.Security.Cryptography;
using Kmrl.BuildingBlocks.Streams;

namespace Kmrl.Connectors.WhatsApp.Media;

/// <summary>
/// Passes content through while hashing it; at the end of the stream the hash must equal the expected one,
/// otherwise the final read throws, so a corrupted download never reaches the claim check as complete.
/// </summary>
public sealed class Sha256VerifyingStream(Stream inner, byte[] expected, string messageId) : ReadOnlyStream
{
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private bool _finished;

    public override int Read(Span<byte> buffer) => Check(buffer, inner.Read(buffer));

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var read = await inner.ReadAsync(buffer, cancellationToken);
        return Check(buffer.Span, read);
    }

    private int Check(ReadOnlySpan<byte> buffer, int read)
    {
        if (read > 0)
        {
            _hash.AppendData(buffer[..read]);
        }
        else if (!_finished && !buffer.IsEmpty)
        {
            _finished = true;
            if (!CryptographicOperations.FixedTimeEquals(_hash.GetHashAndReset(), expected))
            {
                throw new MediaHashMismatchException(messageId);
            }
        }
        return read;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            inner.Dispose();
            _hash.Dispose();
        }
        base.Dispose(disposing);
    }
}
