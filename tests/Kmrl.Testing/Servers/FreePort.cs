using System.Net;
using System.Net.Sockets;

namespace Kmrl.Testing.Servers;

/// <summary>Free TCP ports on the loopback interface, handed out once per test run.</summary>
public static class FreePort
{
    private static readonly HashSet<int> Handed = [];

    public static int Next()
    {
        lock (Handed)
        {
            while (true)
            {
                var listener = new TcpListener(IPAddress.Loopback, 0);
                listener.Start();
                var port = ((IPEndPoint)listener.LocalEndpoint).Port;
                listener.Stop();
                if (Handed.Add(port))
                {
                    return port;
                }
            }
        }
    }

    /// <summary>A run of consecutive free ports (passive FTP data ports).</summary>
    public static (int First, int Last) Range(int count)
    {
        lock (Handed)
        {
            for (var attempt = 0; attempt < 100; attempt++)
            {
                var first = Random.Shared.Next(40000, 60000 - count);
                var range = Enumerable.Range(first, count).ToArray();
                if (range.All(port => !Handed.Contains(port) && IsFree(port)))
                {
                    foreach (var port in range)
                    {
                        Handed.Add(port);
                    }
                    return (first, first + count - 1);
                }
            }
            throw new InvalidOperationException($"No run of {count} free ports found.");
        }
    }

    private static bool IsFree(int port)
    {
        try
        {
            var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            listener.Stop();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
