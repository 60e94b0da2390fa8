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
/// <remarks>
/// The CPU hard limit is a few seconds past the soft one unless <paramref name="CpuHardSeconds"/> says otherwise: a
/// pooled worker lowers and raises its own soft limit per document, up to a hard limit for its whole life.
/// </remarks>
public sealed record ToolLimits(long AddressSpaceBytes, int CpuSeconds, string PrlimitPath = "prlimit", int? CpuHardSeconds = null)
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
        yield return string.Create(CultureInfo.InvariantCulture, $"--cpu={CpuSeconds}:{CpuHardSeconds ?? CpuSeconds + 5}");
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
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(timeout);
        var process = Start(fileName, arguments, limits, environment, redirectInput: false);
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
            if (limits is not null && CommandNotFound(run))
            {
                throw new ToolNotInstalledException(Path.GetFileName(fileName));
            }
            return run;
        }
    }

    /// <summary>prlimit could not execute the command it was given: the tool is not installed.</summary>
    public static bool CommandNotFound(ToolRun run) =>
        run.ExitCode == PrlimitCommandNotFound && run.Stderr.Contains("failed to execute", StringComparison.Ordinal);

    /// <summary>
    /// Starts a tool that stays running (the pooled extraction worker), its outputs redirected and, with
    /// <paramref name="redirectInput"/>, its input too; under prlimit when <paramref name="limits"/> are given.
    /// </summary>
    public static Process Start(string fileName, IReadOnlyList<string> arguments, ToolLimits? limits,
        IReadOnlyDictionary<string, string?>? environment, bool redirectInput)
    {
        var start = new ProcessStartInfo(limits?.PrlimitPath ?? fileName)
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            RedirectStandardInput = redirectInput,
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
        try
        {
            var process = Process.Start(start) ?? throw new ToolNotInstalledException(Path.GetFileName(start.FileName));
            RunBelowNormalPriority(process);
            return process;
        }
        catch (Win32Exception)
        {
            // ENOENT (or not executable): the tool (or prlimit) is absent on this machine, which no retry heals.
            throw new ToolNotInstalledException(Path.GetFileName(start.FileName));
        }
    }

    /// <summary>
    /// Document tools and the extraction worker run below normal priority (nice 10 on Linux; prlimit execs the tool
    /// in place, so the tool gets it, and the worker's own tools inherit it): the pipeline takes the CPU that intake
    /// and reads leave, so a backlog does not slow an upload or a read (benchmarks P1 and P1b).
    /// </summary>
    private static void RunBelowNormalPriority(Process process)
    {
        try
        {
            process.PriorityClass = ProcessPriorityClass.BelowNormal;
        }
        catch (Exception exception) when (exception is Win32Exception or InvalidOperationException)
        {
            // The tool has already exited (or the platform refuses): it simply ran at normal priority.
        }
    }

    /// <summary>The first line a tool wrote to stderr, short enough for a record.</summary>
    public static string FirstLine(string stderr)
    {
        var line = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault() ?? string.Empty;
        return line.Length <= 200 ? line : line[..200];
    }
}
