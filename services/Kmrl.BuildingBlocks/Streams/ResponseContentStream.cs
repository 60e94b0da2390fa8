namespace Kmrl.BuildingBlocks.Streams;

/// <summary>An HTTP response's content that keeps the response alive while it is read, and disposes both together.</summary>
public sealed class ResponseContentStream(Stream content, HttpResponseMessage response) : ReadOnlyStream
{
    public override int Read(Span<byte> buffer) => content.Read(buffer);

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        content.ReadAsync(buffer, cancellationToken);

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            content.Dispose();
            response.Dispose();
        }
        base.Dispose(disposing);
    }
}
