namespace Kmrl.ServiceDefaults;

/// <summary>Reads a request body or form field into memory only up to a limit, whatever length it declares.</summary>
public static class BoundedRead
{
    /// <summary>The stream's bytes, or null as soon as it proves longer than <paramref name="limit"/>.</summary>
    public static async Task<byte[]?> ReadAtMostAsync(Stream body, int limit, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await body.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > limit)
            {
                return null;
            }
            buffer.Write(chunk, 0, read);
        }
        return buffer.ToArray();
    }
}
