using System.Diagnostics;

namespace Kmrl.Dapr.Local.Host;

/// <summary>
/// A process the local runtime starts (an app, a server): in a process group of its own (<c>setsid</c>), so that a
/// <c>dotnet run</c> and the app it starts are stopped together, by the group's PID, and Ctrl-C in the terminal reaches
/// the runtime only, which stops the children in order. Output lines go to the <see cref="LogSink"/> under its name.
/// </summary>
internal sealed class ChildProcess : IAsyncDisposable
{
    private readonly Process _process;

    private ChildProcess(Process process, string name)
    {
        _process = process;
        Name = name;
    }

    public string Name { get; }

    /// <summary>The PID, which is also the process group id.</summary>
    public int Pid => _process.Id;

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    public Task Exited => _process.WaitForExitAsync();

    public static ChildProcess Start(string name, IReadOnlyList<string> command, string workingDirectory,
        IReadOnlyDictionary<string, string> environment, LogSink log)
    {
        if (command.Count == 0)
        {
            throw new ArgumentException($"{name}: no command to run.", nameof(command));
        }
        // setsid(1) execs the command in a new session when the caller is not a group leader (a child never is), so
        // the PID stays the command's own and becomes its process group id.
        var startInfo = new ProcessStartInfo("setsid")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var argument in command)
        {
            startInfo.ArgumentList.Add(argument);
        }
        foreach (var (key, value) in environment)
        {
            startInfo.Environment[key] = value;
        }
        var process = new Process { StartInfo = startInfo, EnableRaisingEvents = true };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) log.Write(name, e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) log.Write(name, e.Data); };
        if (!process.Start())
        {
            throw new InvalidOperationException($"{name}: '{string.Join(' ', command)}' did not start.");
        }
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return new ChildProcess(process, name);
    }

    /// <summary>SIGTERM to the group, then SIGKILL to whatever of it is left after <paramref name="grace"/>.</summary>
    public async Task StopAsync(TimeSpan grace)
    {
        Signals.SendToGroup(Pid, Signals.Terminate);
        var deadline = DateTime.UtcNow + grace;
        while (Signals.GroupIsAlive(Pid) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
        }
        if (Signals.GroupIsAlive(Pid))
        {
            Signals.SendToGroup(Pid, Signals.Kill);
        }
        await _process.WaitForExitAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (Signals.GroupIsAlive(Pid))
        {
            await StopAsync(TimeSpan.FromSeconds(10));
        }
        _process.Dispose();
    }
}
