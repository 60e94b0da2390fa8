using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Kmrl.Bench;

/// <summary>Where the figures came from: a ratio from a 2-core VM and one from a workstation are not the same claim.</summary>
public static class MachineInfo
{
    public static IReadOnlyList<(string Name, string Value)> Describe() =>
    [
        ("date (UTC)", DateTimeOffset.UtcNow.ToString("yyyy-MM-dd HH:mm", System.Globalization.CultureInfo.InvariantCulture)),
        ("commit", Run("git", "rev-parse --short HEAD") ?? "unknown"),
        ("CPU", CpuModel()),
        ("logical cores", Environment.ProcessorCount.ToString(System.Globalization.CultureInfo.InvariantCulture)),
        ("memory", MemoryTotal()),
        ("OS", RuntimeInformation.OSDescription),
        (".NET", RuntimeInformation.FrameworkDescription),
        ("GC", System.Runtime.GCSettings.IsServerGC ? "server" : "workstation"),
    ];

    private static string CpuModel() =>
        ReadProcLine("/proc/cpuinfo", "model name") ?? RuntimeInformation.ProcessArchitecture.ToString();

    private static string MemoryTotal() => ReadProcLine("/proc/meminfo", "MemTotal") ?? "unknown";

    private static string? ReadProcLine(string path, string key)
    {
        if (!File.Exists(path))
        {
            return null;
        }
        var line = File.ReadLines(path).FirstOrDefault(l => l.StartsWith(key, StringComparison.Ordinal));
        return line?[(line.IndexOf(':', StringComparison.Ordinal) + 1)..].Trim();
    }

    private static string? Run(string file, string arguments)
    {
        try
        {
            using var process = Process.Start(new ProcessStartInfo(file, arguments) { RedirectStandardOutput = true, RedirectStandardError = true });
            if (process is null)
            {
                return null;
            }
            var output = process.StandardOutput.ReadToEnd().Trim();
            process.WaitForExit();
            return process.ExitCode == 0 ? output : null;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null;
        }
    }
}
