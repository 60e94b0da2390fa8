using Xunit;

namespace Kmrl.Testing.Servers;

/// <summary>
/// A throwaway PostgreSQL cluster (Debian's postgresql) on a free loopback port: initdb into a temp directory, the
/// postmaster in the foreground, trust authentication for the role <c>kmrl</c>. PostgreSQL refuses to run as root, so
/// as root its tools run as <c>nobody</c> on a directory that nobody owns.
/// </summary>
public sealed class PostgresServer : IAsyncLifetime
{
    private const string Package = "postgresql";
    private readonly TempDirectory _directory = new("postgres");
    private ServerProcess? _process;

    public int Port { get; private set; }

    public string ConnectionString => $"Host=127.0.0.1;Port={Port};Username=kmrl;Database=postgres;Pooling=true;Maximum Pool Size=20";

    public async Task InitializeAsync()
    {
        var bin = FindBinDirectory();
        var data = Path.Combine(_directory.Path, "data");
        var asRoot = Environment.UserName == "root";
        if (asRoot)
        {
            await Shell.RunAsync("chown", ["nobody:nogroup", _directory.Path], "coreutils");
        }
        await Shell.RunAsync(asRoot ? "runuser" : Path.Combine(bin, "initdb"),
            Wrap(asRoot, Path.Combine(bin, "initdb"), ["-D", data, "-U", "kmrl", "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"]),
            Package);
        Port = FreePort.Next();
        _process = ServerProcess.Start(asRoot ? "runuser" : Path.Combine(bin, "postgres"),
            Wrap(asRoot, Path.Combine(bin, "postgres"),
            [
                "-D", data, "-c", "listen_addresses=127.0.0.1", "-p", Port.ToString(), "-k", _directory.Path,
                "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
            ]),
            Package);
        await _process.WaitForPortAsync(Port);
        // The port opens before the cluster accepts logins; wait for a real answer.
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            try
            {
                await Shell.RunAsync(Path.Combine(bin, "pg_isready"), ["-h", "127.0.0.1", "-p", Port.ToString(), "-U", "kmrl"], Package);
                return;
            }
            catch (InvalidOperationException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(100);
            }
        }
    }

    public async Task DisposeAsync()
    {
        if (_process is not null)
        {
            await _process.DisposeAsync();
        }
        _directory.Dispose();
    }

    private static IEnumerable<string> Wrap(bool asRoot, string binary, IEnumerable<string> arguments) =>
        asRoot ? ["-u", "nobody", "--", binary, .. arguments] : arguments;

    private static string FindBinDirectory()
    {
        const string root = "/usr/lib/postgresql";
        var bin = Directory.Exists(root)
            ? Directory.GetDirectories(root).Select(d => Path.Combine(d, "bin")).Where(d => File.Exists(Path.Combine(d, "initdb")))
                .OrderByDescending(d => d, StringComparer.Ordinal).FirstOrDefault()
            : null;
        return bin ?? throw new InvalidOperationException(
            $"PostgreSQL is not installed. Install the Debian package '{Package}' (apt-get install -y {Package}), " +
            "or run ./build.sh test, which installs every package the tests need.");
    }
}
