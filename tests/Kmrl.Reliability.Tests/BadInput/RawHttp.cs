using System.Net.Sockets;
using System.Text;

namespace Kmrl.Reliability.Tests.BadInput;

/// <summary>
/// Sends request bytes over a plain socket and reads the status code: HttpClient will not put invalid UTF-8 or a
/// 64 KB value into a request header, and those are what a hostile client sends.
/// </summary>
public static class RawHttp
{
    public static async Task<int> SendAsync(Uri server, byte[] request)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(server.Host, server.Port);
        var stream = client.GetStream();
        try
        {
            await stream.WriteAsync(request);
        }
        catch (IOException)
        {
            // The server may answer and close before it has read everything (a header that is too large).
        }
        var buffer = new byte[4096];
        var read = 0;
        int n;
        while (read < 12 && (n = await stream.ReadAsync(buffer.AsMemory(read))) > 0)
        {
            read += n;
        }
        var statusLine = Encoding.ASCII.GetString(buffer, 0, read);
        // "HTTP/1.1 431 ..."
        return statusLine.Length >= 12 && int.TryParse(statusLine.AsSpan(9, 3), out var status) ? status : 0;
    }

    /// <summary>A POST /documents with the given header lines (raw bytes) and multipart body.</summary>
    public static byte[] Upload(Uri server, string apiKey, byte[] extraHeaderLines, byte[] body)
    {
        var head = Encoding.ASCII.GetBytes(
            $"POST /documents HTTP/1.1\r\nHost: {server.Authority}\r\nAuthorization: Bearer {apiKey}\r\n" +
            $"Content-Type: multipart/form-data; boundary={MultipartBody.Boundary}\r\nContent-Length: {body.Length}\r\nConnection: close\r\n");
        return [.. head, .. extraHeaderLines, .. "\r\n"u8.ToArray(), .. body];
    }
}
