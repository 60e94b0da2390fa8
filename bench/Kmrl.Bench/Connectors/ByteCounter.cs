namespace Kmrl.Bench.Connectors;

/// <summary>Bytes seen on the wire in both directions, added to from several connections at once.</summary>
public sealed class ByteCounter
{
    private long _sent;
    private long _received;

    /// <summary>Bytes from the client to the server.</summary>
    public long Sent => Interlocked.Read(ref _sent);

    /// <summary>Bytes from the server to the client.</summary>
    public long Received => Interlocked.Read(ref _received);

    public long Total => Sent + Received;

    public void AddSent(long count) => Interlocked.Add(ref _sent, count);

    public void AddReceived(long count) => Interlocked.Add(ref _received, count);

    public void Reset()
    {
        Interlocked.Exchange(ref _sent, 0);
        Interlocked.Exchange(ref _received, 0);
    }
}
