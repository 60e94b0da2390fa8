namespace Kmrl.Testing.Servers;

/// <summary>A throwaway directory that is removed with its contents (or, made with <see cref="Kept"/>, a lasting one).</summary>
public sealed class TempDirectory : IDisposable
{
    private readonly bool _kept;

    public TempDirectory(string prefix)
        : this(Directory.CreateTempSubdirectory("kmrl-" + prefix + "-").FullName, kept: false)
    {
    }

    private TempDirectory(string path, bool kept)
    {
        Path = path;
        _kept = kept;
        // Servers drop privileges (dovecot's auth, sshd's user, pure-ftpd's nobody): they must traverse it.
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(Path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
            | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        }
    }

    /// <summary>
    /// A server's folder that outlives it (the local demo's, under <c>.data/demo</c>): created if missing, opened to
    /// the servers' users as a temp one is, and left in place by <see cref="Dispose"/>, so a restart finds its data.
    /// </summary>
    public static TempDirectory Kept(string path) => new(Directory.CreateDirectory(path).FullName, kept: true);

    public string Path { get; }

    public string Combine(params string[] parts) => System.IO.Path.Combine([Path, .. parts]);

    public void Dispose()
    {
        if (_kept)
        {
            return;
        }
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // A server may still be flushing; the OS temp cleaner gets it later.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
