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

    /// <summary>
    /// The first <paramref name="maxChars"/> characters of the text, streamed: a 100 MiB text blob is not read whole
    /// (as a string it is 200 MiB, before any copy) when only its beginning is analysed.
    /// </summary>
    public static async Task<string> ReadPrefixAsync(IDocumentContentStore store, BlobReference? blob, int maxChars, CancellationToken cancellationToken)
    {
        if (blob is null) return string.Empty;
        await using var content = await store.OpenReadAsync(blob, cancellationToken);
        using var reader = new StreamReader(content, Encoding.UTF8);
        var buffer = new char[Math.Min(maxChars, (int)Math.Min(int.MaxValue, Math.Max(blob.Size, 1)))];
        var filled = 0;
        while (filled < buffer.Length)
        {
            var read = await reader.ReadAsync(buffer.AsMemory(filled), cancellationToken);
            if (read == 0) break;
            filled += read;
        }
        return new string(buffer, 0, filled);
    }

    public static async Task<string> ReadAsync(IDocumentContentStore store, BlobReference? blob, CancellationToken cancellationToken)
    {
        if (blob is null) return string.Empty;
        await using var content = await store.OpenReadAsync(blob, cancellationToken);
        using var reader = new StreamReader(content, Encoding.UTF8);
        return await reader.ReadToEndAsync(cancellationToken);
    }
}
