using System.Collections.Concurrent;

namespace Kmrl.Dapr.Local.Host;

/// <summary>
/// Every line of every app, sidecar and server: on the console prefixed with its source (the app id, as
/// <c>dapr run -f</c> prints it), and appended to <c>.data/logs/&lt;source&gt;.log</c>, kept across runs.
/// </summary>
internal sealed class LogSink : IDisposable
{
    private readonly string _folder;
    private readonly ConcurrentDictionary<string, StreamWriter> _files = new(StringComparer.Ordinal);
    private readonly Lock _console = new();
    private readonly int _width;
    private bool _disposed;

    public LogSink(string folder, int width = 24)
    {
        _folder = folder;
        _width = width;
        Directory.CreateDirectory(folder);
    }

    public void Write(string source, string line)
    {
        lock (_console)
        {
            // A child's last lines can arrive on a thread-pool thread after the runtime stopped and this sink was
            // disposed; writing them then threw ObjectDisposedException on that thread and the tool ended with SIGABRT
            // (exit 134) instead of 0.
            if (_disposed)
            {
                return;
            }
            var file = _files.GetOrAdd(source, name =>
            {
                var writer = new StreamWriter(new FileStream(Path.Combine(_folder, name + ".log"), FileMode.Append, FileAccess.Write, FileShare.ReadWrite)) { AutoFlush = true };
                writer.WriteLine($"---- {DateTimeOffset.Now:O} ----");
                return writer;
            });
            file.WriteLine(line);
            Console.Out.WriteLine(source.PadRight(_width) + "| " + line);
        }
    }

    /// <summary>The tool's own lines.</summary>
    public void Info(string line) => Write("kmrl-local", line);

    public void Dispose()
    {
        lock (_console)
        {
            _disposed = true;
            foreach (var writer in _files.Values)
            {
                writer.Dispose();
            }
            _files.Clear();
        }
    }
}
