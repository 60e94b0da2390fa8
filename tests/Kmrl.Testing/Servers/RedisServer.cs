using Xunit;

namespace Kmrl.Testing.Servers;

/// <summary>A real redis-server on a free loopback port, in-memory only (no RDB, no AOF).</summary>
public sealed class RedisServer : IAsyncLifetime
{
    private readonly TempDirectory _directory = new("redis");
    private ServerProcess? _process;

    public string Host => "127.0.0.1";

    public int Port { get; private set; }

    /// <summary>"host:port", the form state.redis's <c>redisHost</c> and StackExchange.Redis take.</summary>
    public string Endpoint => $"{Host}:{Port}";

    public int Pid => _process?.Pid ?? throw new InvalidOperationException("Redis is not started.");

    public async Task InitializeAsync()
    {
        Port = FreePort.Next();
        _process = ServerProcess.Start("redis-server",
        [
            "--bind", Host, "--port", Port.ToString(), "--save", "", "--appendonly", "no",
            "--dir", _directory.Path, "--daemonize", "no",
        ], "redis-server");
        await _process.WaitForPortAsync(Port);
    }

    public async Task DisposeAsync()
    {
        if (_process is not null)
        {
            await _process.DisposeAsync();
        }
        _directory.Dispose();
    }
}
