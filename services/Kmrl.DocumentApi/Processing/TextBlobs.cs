using System.Text;
using Kmrl.ClaimCheck;
using Kmrl.Contracts;

namespace Kmrl.DocumentApi.Processing;

/// <summary>Extracted text lives in the blob store beside the original, under a key derived from the document id.</summary>
public static class TextBlobs
{
    public static string KeyFor(string documentId) => $"text-{documentId}";

    public static async Task<BlobReference> WriteAsync(IDocumentContentStore store, string documentId, string text, CancellationToken cancellationToken)
    {
        await using var content = new MemoryStream(Encoding.UTF8.GetBytes(text), writable: false);
        return await store.WriteAsync(KeyFor(documentId), content, cancellationToken);
    }

    public static async Task<string> ReadAsync(IDocumentContentStore store, BlobReference? blob, CancellationToken cancellationToken)
    {
        if (blob is null) return string.Empty;
        await using var content = await store.OpenReadAsync(blob, cancellationToken);
        using var reader = new StreamReader(content, Encoding.UTF8);
        return await reader.ReadToEndAsync(cancellationToken);
    }
}
