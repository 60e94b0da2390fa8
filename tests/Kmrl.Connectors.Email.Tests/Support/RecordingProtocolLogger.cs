using System.Text;
using MailKit;

namespace Kmrl.Connectors.Email.Tests.Support;

/// <summary>Captures what the client sent and the server answered, line by line, to prove which commands a sync used.</summary>
public sealed class RecordingProtocolLogger : IProtocolLogger
{
    private readonly List<(DateTime At, bool FromClient, string Line)> _lines = [];
    private readonly StringBuilder _client = new();
    private readonly StringBuilder _server = new();

    public IAuthenticationSecretDetector? AuthenticationSecretDetector { get; set; }

    public event Action<string>? ClientLine;

    public IReadOnlyList<string> ClientLines => Snapshot(fromClient: true);

    public IReadOnlyList<string> ServerLines => Snapshot(fromClient: false);

    public void LogConnect(Uri uri)
    {
    }

    public void LogClient(byte[] buffer, int offset, int count) => Append(_client, buffer, offset, count, fromClient: true);

    public void LogServer(byte[] buffer, int offset, int count) => Append(_server, buffer, offset, count, fromClient: false);

    public void Dispose()
    {
    }

    private static bool IsResponse(string line) =>
        line.StartsWith("* ", StringComparison.Ordinal) || line.StartsWith('+') || IsCommand(line);

    private static bool IsCommand(string line) =>
        line == "DONE" || (line.Length > 2 && char.IsAsciiLetterUpper(line[0]) && char.IsAsciiDigit(line[1]) && line.Contains(' '));

    private List<string> Snapshot(bool fromClient)
    {
        lock (_lines)
        {
            return _lines.Where(line => line.FromClient == fromClient).Select(line => line.Line).ToList();
        }
    }

    private void Append(StringBuilder pending, byte[] buffer, int offset, int count, bool fromClient)
    {
        var completed = new List<string>();
        lock (_lines)
        {
            // Latin-1 keeps literal bytes one-to-one; only command/response lines matter here. Cap the text kept
            // so a 200 MiB download is not recorded.
            var text = Encoding.Latin1.GetString(buffer, offset, Math.Min(count, 512));
            pending.Append(text);
            if (count > 512)
            {
                pending.Append("\r\n");
            }
            var all = pending.ToString();
            var lastBreak = all.LastIndexOf('\n');
            if (lastBreak < 0)
            {
                return;
            }
            foreach (var line in all[..lastBreak].Split('\n'))
            {
                var trimmed = line.TrimEnd('\r');
                // Keep protocol lines only (commands, untagged "*", continuations, tagged results), not literal
                // payload: a 200 MiB download must not end up recorded in the test's memory.
                if (fromClient ? IsCommand(trimmed) : IsResponse(trimmed))
                {
                    _lines.Add((DateTime.UtcNow, fromClient, trimmed.Length > 300 ? trimmed[..300] : trimmed));
                    completed.Add(trimmed);
                }
            }
            pending.Clear().Append(all[(lastBreak + 1)..]);
            if (pending.Length > 4096)
            {
                pending.Clear();
            }
        }
        if (fromClient)
        {
            foreach (var line in completed)
            {
                ClientLine?.Invoke(line);
            }
        }
    }
}
