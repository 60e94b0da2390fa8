namespace Kmrl.Contracts;

/// <summary>
/// Where a document's content lives in the blob store (claim check). <see cref="Key"/> names the
/// manifest; the content itself is stored as <see cref="ChunkCount"/> chunks beside it.
/// </summary>
public sealed record BlobReference(string Key, long Size, string Sha256, int ChunkCount, int ChunkSize)
{
    public const int SchemaVersion = 1;
}
