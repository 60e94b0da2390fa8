using Kmrl.ClaimCheck;
using Kmrl.Contracts;

namespace Kmrl.DocumentApi.Tests.Fakes;

public static class Intakes
{
    public static readonly DateTimeOffset Received = new(2026, 11, 27, 9, 30, 0, TimeSpan.FromHours(5.5));

    /// <summary>Stores the bytes through the claim check, as a connector or the upload API would, and describes the arrival.</summary>
    public static async Task<DocumentIntake> StoreAsync(
        IDocumentContentStore store, byte[] bytes, string fileName, string contentType,
        string source = DocumentSources.Upload, string? sourceId = null, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var key = "test-" + Guid.NewGuid().ToString("N");
        var blob = await store.WriteAsync(key, new MemoryStream(bytes), CancellationToken.None);
        sourceId ??= key;
        var idempotencyKey = IdempotencyKey.For(source, sourceId, blob.Sha256);
        return new DocumentIntake(DocumentIntake.DocumentIdFor(idempotencyKey), idempotencyKey, source, sourceId, fileName, contentType,
            blob.Size, blob.Sha256, blob, metadata ?? new Dictionary<string, string>(), Received);
    }
}
