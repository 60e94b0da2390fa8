using System.Diagnostics;

namespace Kmrl.Testing.Servers;

/// <summary>Runs a helper command (doveadm, pure-pw, ssh-keygen...) to completion and fails loudly.</summary>
public static class Shell
{
    public static async Task<string> RunAsync(string binary, IEnumerable<string> arguments, string debianPackage,
        string? standardInput = null, Stream? standardInputStream = null, TimeSpan? timeout = null)
    {
        var startInfo = new ProcessStartInfo(ServerProcess.FindBinary(binary, debianPackage))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = standardInput is not null || standardInputStream is not null,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        using var process = Process.Start(startInfo) ?? throw new InvalidOperationException($"{binary} did not start.");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (standardInput is not null)
        {
            await process.StandardInput.WriteAsync(standardInput);
            process.StandardInput.Close();
        }
        else if (standardInputStream is not null)
        {
            await standardInputStream.CopyToAsync(process.StandardInput.BaseStream);
            process.StandardInput.Close();
        }

        using var cancellation = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(cancellation.Token);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException(
                $"{binary} {string.Join(' ', startInfo.ArgumentList)} exited with {process.ExitCode}: {await stderr}{await stdout}");
        }
        return await stdout;
    }
}
