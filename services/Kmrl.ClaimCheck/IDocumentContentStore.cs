using Kmrl.Contracts;

namespace Kmrl.ClaimCheck;

/// <summary>
/// Stores and reads document content as a claim check: content goes in as a stream, in fixed-size chunks,
/// with its SHA-256 computed on the way, and comes back as a stream. Memory use does not grow with the size.
/// </summary>
public interface IDocumentContentStore
{
    Task<BlobReference> WriteAsync(string key, Stream content, CancellationToken cancellationToken);

    Task<Stream> OpenReadAsync(BlobReference blob, CancellationToken cancellationToken);

    Task DeleteAsync(BlobReference blob, CancellationToken cancellationToken);
}
