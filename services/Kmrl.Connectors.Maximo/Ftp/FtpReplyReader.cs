using System.Text;

namespace Kmrl.Connectors.Maximo.Ftp;

/// <summary>
/// Reads CRLF-terminated reply lines from the control stream with its own small buffer, so the underlying stream
/// can be swapped for TLS after <c>AUTH TLS</c> (the server sends nothing between 234 and the handshake).
/// </summary>
internal sealed class FtpReplyReader(Stream stream)
{
    private const int MaxLineLength = 64 * 1024;
    private readonly byte[] _buffer = new byte[4096];
    private int _start;
    private int _end;

    public Stream Stream { get; set; } = stream;

    public bool HasBufferedData => _end > _start;

    public async Task<FtpReply> ReadReplyAsync(CancellationToken cancellationToken)
    {
        var lines = new List<string>();
        var first = await ReadLineAsync(cancellationToken);
        lines.Add(first);
        if (first.Length < 3 || !int.TryParse(first.AsSpan(0, 3), out var code))
        {
            throw new IOException($"Malformed FTP reply: {first}");
        }
        if (first.Length > 3 && first[3] == '-')
        {
            // RFC 959 multi-line: continues until a line that starts with the same code and a space.
            var terminator = first[..3] + " ";
            while (true)
            {
                var line = await ReadLineAsync(cancellationToken);
                lines.Add(line);
                if (line.StartsWith(terminator, StringComparison.Ordinal) || line == first[..3])
                {
                    break;
                }
            }
        }
        return new FtpReply(code, lines);
    }

    private async Task<string> ReadLineAsync(CancellationToken cancellationToken)
    {
        using var line = new MemoryStream();
        while (true)
        {
            if (_start == _end)
            {
                _start = 0;
                _end = await Stream.ReadAsync(_buffer, cancellationToken);
                if (_end == 0)
                {
                    throw new IOException("The FTP server closed the control connection.");
                }
            }
            var newline = Array.IndexOf(_buffer, (byte)'\n', _start, _end - _start);
            if (newline < 0)
            {
                line.Write(_buffer, _start, _end - _start);
                _start = _end;
                if (line.Length > MaxLineLength)
                {
                    throw new IOException("FTP reply line too long.");
                }
                continue;
            }
            line.Write(_buffer, _start, newline - _start);
            _start = newline + 1;
            var text = Encoding.UTF8.GetString(line.GetBuffer(), 0, (int)line.Length);
            return text.TrimEnd('\r');
        }
    }
}
