using System.Globalization;

namespace Kmrl.Bench;

/// <summary>
/// CPU seconds of this process and of its child processes (the extraction workers and the tools they start), from
/// /proc: this process's utime+stime, the reaped children's cutime+cstime, and the children still alive. Says where a
/// pipeline's CPU went: into extraction (the workers) or into everything else this bench process holds (document-api's
/// activities, the workflow engine, the sidecar double).
/// </summary>
public readonly record struct CpuSplit(double OwnSeconds, double ChildSeconds)
{
    private const double TicksPerSecond = 100; // USER_HZ: 100 on every Linux the .NET runtime supports

    // proc(5) field numbers of /proc/<pid>/stat.
    private const int PpidField = 4;
    private const int UtimeField = 14;
    private const int StimeField = 15;
    private const int CutimeField = 16;
    private const int CstimeField = 17;

    public static CpuSplit Now()
    {
        var self = Fields("/proc/self/stat");
        var pid = Environment.ProcessId.ToString(CultureInfo.InvariantCulture);
        double live = 0;
        foreach (var folder in Directory.EnumerateDirectories("/proc"))
        {
            var name = Path.GetFileName(folder);
            if (!char.IsAsciiDigit(name[0]) || name == pid) continue;
            try
            {
                var child = Fields(Path.Combine(folder, "stat"));
                if (child[PpidField - 1] == pid) live += Ticks(child, UtimeField) + Ticks(child, StimeField) + Ticks(child, CutimeField) + Ticks(child, CstimeField);
            }
            catch (IOException)
            {
                // Gone while listed.
            }
        }
        return new CpuSplit((Ticks(self, UtimeField) + Ticks(self, StimeField)) / TicksPerSecond,
            (Ticks(self, CutimeField) + Ticks(self, CstimeField) + live) / TicksPerSecond);
    }

    public static CpuSplit operator -(CpuSplit after, CpuSplit before) =>
        new(after.OwnSeconds - before.OwnSeconds, after.ChildSeconds - before.ChildSeconds);

    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"CPU {OwnSeconds:F1} s in the bench process, {ChildSeconds:F1} s in worker and tool processes");

    /// <summary>The stat fields, field n at index n - 1; the command name (field 2, which may hold spaces) is skipped.</summary>
    private static string[] Fields(string path)
    {
        var text = File.ReadAllText(path);
        return ["", "", .. text[(text.LastIndexOf(')') + 2)..].Split(' ')];
    }

    private static double Ticks(string[] fields, int procField) => double.Parse(fields[procField - 1], CultureInfo.InvariantCulture);
}
