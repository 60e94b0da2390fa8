using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;

namespace Kmrl.Bench.Connectors;

/// <summary>
/// A loopback FTP proxy that counts every byte of the control and data connections, so two FTP clients (the
/// connector and a naive one) are measured by the same meter. Passive replies (227, 229) are rewritten to a
/// one-shot listener of the proxy that relays and counts the data connection to the server's port.
/// </summary>
public sealed partial class CountingFtpProxy : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly string _serverHost;
    private readonly int _serverPort;
    private readonly List<Task> _connections = [];
    private Task _accepting = Task.CompletedTask;

    private CountingFtpProxy(string serverHost, int serverPort)
    {
        _serverHost = serverHost;
        _serverPort = serverPort;
    }

    public ByteCounter Counter { get; } = new();

    public string Host => "127.0.0.1";

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public static CountingFtpProxy Start(string serverHost, int serverPort)
    {
        var proxy = new CountingFtpProxy(serverHost, serverPort);
        proxy._listener.Start();
        proxy._accepting = proxy.AcceptAsync(proxy._stop.Token);
        return proxy;
    }

    private async Task AcceptAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(cancellationToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            lock (_connections)
            {
                _connections.Add(RelayControlAsync(client, cancellationToken));
            }
        }
    }

    private async Task RelayControlAsync(TcpClient client, CancellationToken cancellationToken)
    {
        using var _ = client;
        using var server = new TcpClient { NoDelay = true };
        client.NoDelay = true;
        await server.ConnectAsync(_serverHost, _serverPort, cancellationToken);
        var toServer = PumpAsync(client.GetStream(), server.GetStream(), Counter.AddSent, cancellationToken);
        var toClient = RelayRepliesAsync(server.GetStream(), client.GetStream(), cancellationToken);
        await Task.WhenAny(toServer, toClient);
    }

    /// <summary>Server replies line by line, so a passive-mode reply can point the client at the proxy instead.</summary>
    private async Task RelayRepliesAsync(Stream server, Stream client, CancellationToken cancellationToken)
    {
        var buffer = new byte[16 * 1024];
        var pending = new MemoryStream();
        try
        {
            int read;
            while ((read = await server.ReadAsync(buffer, cancellationToken)) > 0)
            {
                Counter.AddReceived(read);
                pending.Write(buffer, 0, read);
                var bytes = pending.GetBuffer();
                var length = (int)pending.Length;
                var lineStart = 0;
                for (var i = 0; i < length; i++)
                {
                    if (bytes[i] != (byte)'\n')
                    {
                        continue;
                    }
                    var line = Encoding.Latin1.GetString(bytes, lineStart, i + 1 - lineStart);
                    var rewritten = await RewritePassiveReplyAsync(line, cancellationToken);
                    await client.WriteAsync(Encoding.Latin1.GetBytes(rewritten), cancellationToken);
                    lineStart = i + 1;
                }
                var rest = bytes.AsSpan(lineStart, length - lineStart).ToArray();
                pending.SetLength(0);
                pending.Write(rest);
            }
        }
        catch (Exception exception) when (exception is IOException or OperationCanceledException or ObjectDisposedException)
        {
        }
    }

    private async Task<string> RewritePassiveReplyAsync(string line, CancellationToken cancellationToken)
    {
        if (ExtendedPassive().Match(line) is { Success: true } extended)
        {
            var port = await RelayDataAsync(int.Parse(extended.Groups[1].Value, CultureInfo.InvariantCulture), cancellationToken);
            return line[..extended.Index] + $"(|||{port}|)" + line[(extended.Index + extended.Length)..];
        }
        if (Passive().Match(line) is { Success: true } passive)
        {
            var serverPort = int.Parse(passive.Groups[1].Value, CultureInfo.InvariantCulture) * 256
                + int.Parse(passive.Groups[2].Value, CultureInfo.InvariantCulture);
            var port = await RelayDataAsync(serverPort, cancellationToken);
            return line[..passive.Index] + $"(127,0,0,1,{port / 256},{port % 256})" + line[(passive.Index + passive.Length)..];
        }
        return line;
    }

    /// <summary>Listens for the one data connection the client makes after a passive reply and relays it to the server.</summary>
    private Task<int> RelayDataAsync(int serverPort, CancellationToken cancellationToken)
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var relay = Task.Run(async () =>
        {
            try
            {
                using var client = await listener.AcceptTcpClientAsync(cancellationToken);
                using var server = new TcpClient();
                await server.ConnectAsync(_serverHost, serverPort, cancellationToken);
                var toServer = PumpAsync(client.GetStream(), server.GetStream(), Counter.AddSent, cancellationToken);
                var toClient = PumpAsync(server.GetStream(), client.GetStream(), Counter.AddReceived, cancellationToken);
                // A data connection ends when the sender closes; pass the close on so the other side sees end of data.
                var first = await Task.WhenAny(toServer, toClient);
                if (first == toClient)
                {
                    client.Client.Shutdown(SocketShutdown.Send);
                }
                else
                {
                    server.Client.Shutdown(SocketShutdown.Send);
                }
                await Task.WhenAll(toServer, toClient);
            }
            catch (Exception exception) when (exception is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
            {
            }
            finally
            {
                listener.Stop();
            }
        }, cancellationToken);
        lock (_connections)
        {
            _connections.Add(relay);
        }
        return Task.FromResult(port);
    }

    private static async Task PumpAsync(Stream from, Stream to, Action<long> count, CancellationToken cancellationToken)
    {
        var buffer = new byte[64 * 1024];
        try
        {
            int read;
            while ((read = await from.ReadAsync(buffer, cancellationToken)) > 0)
            {
                count(read);
                await to.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
            }
        }
        catch (Exception exception) when (exception is IOException or OperationCanceledException or ObjectDisposedException)
        {
        }
    }

    [GeneratedRegex(@"\(\|\|\|(\d+)\|\)")]
    private static partial Regex ExtendedPassive();

    [GeneratedRegex(@"\(\d+,\d+,\d+,\d+,(\d+),(\d+)\)")]
    private static partial Regex Passive();

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _accepting;
        Task[] connections;
        lock (_connections)
        {
            connections = [.. _connections];
        }
        await Task.WhenAll(connections).WaitAsync(TimeSpan.FromSeconds(10)).ContinueWith(_ => { }, TaskScheduler.Default);
        _stop.Dispose();
    }
}
