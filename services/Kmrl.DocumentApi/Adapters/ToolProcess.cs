using System.ComponentModel;
using System.Diagnostics;
using Kmrl.DocumentApi.Ports;

namespace Kmrl.DocumentApi.Adapters;

/// <summary>What a command-line tool answered: its exit code and both outputs.</summary>
public sealed record ToolRun(int ExitCode, string Stdout, string Stderr);

/// <summary>
/// Runs one command-line tool (tesseract, pdftoppm, pdftotext, pdfinfo, qpdf) with a timeout. A tool that is not
/// installed is <see cref="ToolNotInstalledException"/>, so callers can name what is missing instead of retrying.
/// </summary>
public static class ToolProcess
{
    public static async Task<ToolRun> RunAsync(string fileName, IReadOnlyList<string> arguments, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(fileName)
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
            StandardOutputEncoding = System.Text.Encoding.UTF8,
        };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        // One thread per tool: activities already run in parallel, and OpenMP threads would fight over cores.
        start.Environment["OMP_THREAD_LIMIT"] = "1";

        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(timeout);
        Process process;
        try
        {
            process = Process.Start(start) ?? throw new ToolNotInstalledException(Path.GetFileName(fileName));
        }
        catch (Win32Exception)
        {
            // ENOENT (or not executable): the tool is absent on this machine, which no retry heals.
            throw new ToolNotInstalledException(Path.GetFileName(fileName));
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
            return new ToolRun(process.ExitCode, await stdout, await stderr);
        }
    }

    /// <summary>The first line a tool wrote to stderr, short enough for a record.</summary>
    public static string FirstLine(string stderr)
    {
        var line = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault() ?? string.Empty;
        return line.Length <= 200 ? line : line[..200];
    }
}
