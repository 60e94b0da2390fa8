using Kmrl.ClaimCheck;
using Kmrl.Contracts;

namespace Kmrl.DocumentApi.Processing;

/// <summary>
/// A local copy of a blob: the sniffer and extractors need seeking, and pdftoppm/tesseract need a path. The file is
/// removed on dispose.
/// </summary>
public sealed class TempContent : IAsyncDisposable
{
    private TempContent(string path) => FilePath = path;

    public string FilePath { get; }

    public static async Task<TempContent> CopyAsync(IDocumentContentStore store, BlobReference blob, string extension, CancellationToken cancellationToken)
    {
        var path = Path.Combine(Path.GetTempPath(), "kmrl-doc-" + Guid.NewGuid().ToString("N") + extension);
        var temp = new TempContent(path);
        try
        {
            await using var source = await store.OpenReadAsync(blob, cancellationToken);
            await using var target = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 81920, useAsync: true);
            await source.CopyToAsync(target, cancellationToken);
            return temp;
        }
        catch
        {
            await temp.DisposeAsync();
            throw;
        }
    }

    public FileStream OpenRead() => new(FilePath, FileMode.Open, FileAccess.Read, FileShare.Read, 81920, useAsync: false);

    public ValueTask DisposeAsync()
    {
        try
        {
            File.Delete(FilePath);
        }
        catch (IOException)
        {
            // A leftover temp file is harmless; the OS temp cleaner takes it.
        }
        return ValueTask.CompletedTask;
    }
}
