using System.Diagnostics;
using Kmrl.Dapr.Testing;
using Kmrl.Testing.Servers;

namespace Kmrl.Reliability.Tests.CrashConsistency;

/// <summary>
/// A service's production build run as a child process (<c>dotnet &lt;Service&gt;.dll</c> from the service's own
/// build output, with its runtimeconfig, deps and appsettings.json), configured by environment variables as a
/// container would be. <see cref="KillAsync"/> sends SIGKILL: no finally block, no graceful shutdown, no flush, the
/// way an OOM kill or a lost node ends a pod.
/// </summary>
public sealed class ServiceProcess : IAsyncDisposable
{
    private readonly Process _process;

    private ServiceProcess(Process process, Uri address)
    {
        _process = process;
        Address = address;
    }

    public Uri Address { get; }

    public int Pid => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <summary>The exit code once <see cref="HasExited"/> (134 for the SIGABRT a stack overflow ends in).</summary>
    public int ExitCode => _process.ExitCode;

    /// <summary>
    /// The service's build output next to this test assembly's: services/&lt;project&gt;/bin/&lt;configuration&gt;/&lt;tfm&gt;.
    /// The test project references every service, so building it builds them in the same configuration.
    /// </summary>
    public static string BuildOutputOf(string project)
    {
        var testOutput = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var targetFramework = testOutput.Name;
        var configuration = testOutput.Parent?.Name
            ?? throw new InvalidOperationException($"Cannot tell the build configuration from {testOutput.FullName}.");
        var output = Path.Combine(RepositoryPaths.Root, "services", project, "bin", configuration, targetFramework);
        foreach (var file in new[] { project + ".dll", project + ".runtimeconfig.json", project + ".deps.json" })
        {
            if (!File.Exists(Path.Combine(output, file)))
            {
                throw new InvalidOperationException($"{file} is not in {output}: build tests/Kmrl.Reliability.Tests (it builds the services it references).");
            }
        }
        return output;
    }

    /// <summary>
    /// Starts <paramref name="project"/> listening on a free loopback port with <paramref name="settings"/> as
    /// environment variables (configuration keys, ':' written as '__'). Its console goes to <paramref name="log"/>.
    /// </summary>
    public static ServiceProcess Start(string project, IReadOnlyDictionary<string, string?> settings, Action<string> log)
    {
        var output = BuildOutputOf(project);
        var address = new Uri($"http://127.0.0.1:{FreePort.Next()}/");
        var startInfo = new ProcessStartInfo(DotnetHost())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            // The content root (appsettings.json) is the working directory of a `dotnet app.dll` launch.
            WorkingDirectory = output,
        };
        startInfo.ArgumentList.Add(Path.Combine(output, project + ".dll"));
        startInfo.Environment["ASPNETCORE_URLS"] = address.ToString().TrimEnd('/');
        // One line per entry, so the tail of the log stays readable in the test output.
        startInfo.Environment["Logging__Console__FormatterName"] = "simple";
        startInfo.Environment["Logging__Console__FormatterOptions__SingleLine"] = "true";
        foreach (var (key, value) in settings)
        {
            if (value is not null)
            {
                startInfo.Environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
            }
        }

        var process = new Process { StartInfo = startInfo };
        var pid = 0;
        process.OutputDataReceived += (_, line) => { if (line.Data is not null) log($"[{project} {pid}] {line.Data}"); };
        process.ErrorDataReceived += (_, line) => { if (line.Data is not null) log($"[{project} {pid} stderr] {line.Data}"); };
        if (!process.Start())
        {
            throw new InvalidOperationException($"dotnet {project}.dll did not start.");
        }
        pid = process.Id;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return new ServiceProcess(process, address);
    }

    /// <summary>Waits until <c>GET /alive</c> answers 200 (the process is up and Kestrel listens).</summary>
    public async Task WaitUntilAliveAsync(TimeSpan timeout)
    {
        using var http = new HttpClient { BaseAddress = Address, Timeout = TimeSpan.FromSeconds(5) };
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"The service process {Pid} exited with code {_process.ExitCode} before it answered /alive.");
            }
            try
            {
                using var response = await http.GetAsync("/alive");
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
            catch (TaskCanceledException)
            {
                // Starting up on a loaded machine.
            }
            await Task.Delay(100);
        }
        throw new TimeoutException($"The service process {Pid} did not answer /alive at {Address} within {timeout}.");
    }

    /// <summary>SIGKILL (what Process.Kill sends on Linux), then waits until the kernel has reaped it.</summary>
    public async Task KillAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: false);
        }
        await _process.WaitForExitAsync();
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await KillAsync();
        }
        catch (InvalidOperationException)
        {
            // Never started or already reaped.
        }
        _process.Dispose();
    }

    /// <summary>The dotnet host running this test (a `dotnet test` testhost is started by it), else dotnet on PATH.</summary>
    private static string DotnetHost() =>
        Environment.ProcessPath is { } path && Path.GetFileNameWithoutExtension(path) == "dotnet" ? path : "dotnet";
}
