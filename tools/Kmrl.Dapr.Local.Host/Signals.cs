using System.Runtime.InteropServices;

namespace Kmrl.Dapr.Local.Host;

/// <summary>POSIX signals by PID (Process.Kill only sends SIGKILL, and only to a process, not to its group).</summary>
internal static class Signals
{
    public const int Terminate = 15;
    public const int Kill = 9;

    /// <summary>Sends <paramref name="signal"/> to the process group led by <paramref name="pid"/> (kill(-pid)).</summary>
    public static bool SendToGroup(int pid, int signal) => NativeKill(-pid, signal) == 0;

    public static bool Send(int pid, int signal) => NativeKill(pid, signal) == 0;

    /// <summary>Whether a process with that id exists (signal 0 checks without sending).</summary>
    public static bool IsAlive(int pid) => NativeKill(pid, 0) == 0 || Marshal.GetLastPInvokeError() == 1; // EPERM: exists

    /// <summary>Whether any process is left in the group led by <paramref name="pid"/>.</summary>
    public static bool GroupIsAlive(int pid) => NativeKill(-pid, 0) == 0 || Marshal.GetLastPInvokeError() == 1;

#pragma warning disable SYSLIB1054 // one libc call; DllImport keeps the project free of unsafe code
    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int NativeKill(int pid, int signal);
#pragma warning restore SYSLIB1054
}
