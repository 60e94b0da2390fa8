using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using Kmrl.DocumentApi.Ports;

namespace Kmrl.DocumentApi.Adapters;

/// <summary>What a command-line tool answered: its exit code and both outputs.</summary>
public sealed record ToolRun(int ExitCode, string Stdout, string Stderr)
{
    /// <summary>SIGXCPU: the process passed its RLIMIT_CPU soft limit (a signal's exit code is 128 + its number).</summary>
    public const int KilledBySigxcpu = 128 + 24;
}

/// <summary>
/// Kernel limits (setrlimit, applied with util-linux <c>prlimit</c>) for one tool run: address space and CPU seconds.
/// A tool past them fails as that one run (an allocation refused, SIGXCPU), not the machine.
/// </summary>
public sealed record ToolLimits(long AddressSpaceBytes, int CpuSeconds, string PrlimitPath = "prlimit")
{
    /// <summary>Set by the extraction worker's parent for the tools the worker starts (pdftoppm, tesseract, qpdf...).</summary>
    public const string AddressSpaceVariable = "KMRL_TOOL_ADDRESS_SPACE_BYTES";

    public const string CpuSecondsVariable = "KMRL_TOOL_CPU_SECONDS";

    public const string PrlimitVariable = "KMRL_TOOL_PRLIMIT";

    /// <summary>The limits this process's environment asks for, or null (the service itself, a developer machine).</summary>
    public static ToolLimits? FromEnvironment()
    {
        var space = Environment.GetEnvironmentVariable(AddressSpaceVariable);
        var cpu = Environment.GetEnvironmentVariable(CpuSecondsVariable);
        if (!long.TryParse(space, CultureInfo.InvariantCulture, out var bytes) || !int.TryParse(cpu, CultureInfo.InvariantCulture, out var seconds))
        {
            return null;
        }
        return new ToolLimits(bytes, seconds, Environment.GetEnvironmentVariable(PrlimitVariable) is { Length: > 0 } path ? path : "prlimit");
    }

    public void AddTo(IDictionary<string, string?> environment)
    {
        environment[AddressSpaceVariable] = AddressSpaceBytes.ToString(CultureInfo.InvariantCulture);
        environment[CpuSecondsVariable] = CpuSeconds.ToString(CultureInfo.InvariantCulture);
        environment[PrlimitVariable] = PrlimitPath;
    }

    /// <summary>prlimit's arguments before the command: the CPU hard limit a few seconds past the soft one (SIGKILL
    /// for a process that ignores SIGXCPU), an address-space limit when one is set, and no core files.</summary>
    internal IEnumerable<string> PrlimitArguments()
    {
        yield return string.Create(CultureInfo.InvariantCulture, $"--cpu={CpuSeconds}:{CpuSeconds + 5}");
        if (AddressSpaceBytes > 0) yield return string.Create(CultureInfo.InvariantCulture, $"--as={AddressSpaceBytes}");
        yield return "--core=0";
        yield return "--";
    }
}

/// <summary>
/// Runs one command-line tool (tesseract, pdftoppm, pdftotext, pdfinfo, qpdf, the extraction worker) with a timeout.
/// A tool that is not installed is <see cref="ToolNotInstalledException"/>, so callers can name what is missing
/// instead of retrying. With <see cref="ToolLimits"/> (given, or from the environment the extraction worker runs in)
/// the tool runs under prlimit.
/// </summary>
public static class ToolProcess
{
    private static readonly ToolLimits? AmbientLimits = ToolLimits.FromEnvironment();

    /// <summary>prlimit's exit code when it could not execute the command (ENOENT).</summary>
    private const int PrlimitCommandNotFound = 127;

    public static async Task<ToolRun> RunAsync(string fileName, IReadOnlyList<string> arguments, TimeSpan timeout, CancellationToken cancellationToken,
        ToolLimits? limits = null, IReadOnlyDictionary<string, string?>? environment = null)
    {
        limits ??= AmbientLimits;
        var start = new ProcessStartInfo(limits?.PrlimitPath ?? fileName)
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
            StandardOutputEncoding = System.Text.Encoding.UTF8,
        };
        if (limits is not null)
        {
            foreach (var argument in limits.PrlimitArguments()) start.ArgumentList.Add(argument);
            start.ArgumentList.Add(fileName);
        }
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        // One thread per tool: activities already run in parallel, and OpenMP threads would fight over cores.
        start.Environment["OMP_THREAD_LIMIT"] = "1";
        foreach (var (key, value) in environment ?? new Dictionary<string, string?>()) start.Environment[key] = value;

        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(timeout);
        Process process;
        try
        {
            process = Process.Start(start) ?? throw new ToolNotInstalledException(Path.GetFileName(start.FileName));
        }
        catch (Win32Exception)
        {
            // ENOENT (or not executable): the tool (or prlimit) is absent on this machine, which no retry heals.
            throw new ToolNotInstalledException(Path.GetFileName(start.FileName));
        }
        using (process)
        {
            var stderr = process.StandardError.ReadToEndAsync(limit.Token);
            var stdout = process.StandardOutput.ReadToEndAsync(limit.Token);
            try
            {
                await process.WaitForExitAsync(limit.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                throw;
            }
            var run = new ToolRun(process.ExitCode, await stdout, await stderr);
            if (limits is not null && run.ExitCode == PrlimitCommandNotFound && run.Stderr.Contains("failed to execute", StringComparison.Ordinal))
            {
                throw new ToolNotInstalledException(Path.GetFileName(fileName));
            }
            return run;
        }
    }

    /// <summary>The first line a tool wrote to stderr, short enough for a record.</summary>
    public static string FirstLine(string stderr)
    {
        var line = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault() ?? string.Empty;
        return line.Length <= 200 ? line : line[..200];
    }
}
