using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using Kmrl.DocumentApi.Extensions;
using Kmrl.DocumentApi.Ports;
using Microsoft.Extensions.Options;

namespace Kmrl.DocumentApi.Processing.Isolation;

/// <summary>
/// The child side of isolated extraction: <c>Kmrl.DocumentApi extract</c> reads jobs from its standard input, one
/// <see cref="ExtractionWorkerJob"/> a line, reads each file with the same <see cref="TextExtractor"/> the service
/// would use, writes the answer and says so on its standard output; it ends when its input closes. It starts no web
/// host and talks to no sidecar; whatever a file does to it ends with this process. After an out-of-memory or an
/// unnamed failure it answers and exits, so the next document gets a fresh process.
/// </summary>
public static partial class ExtractionWorker
{
    public const string Role = "extract";

    public static bool IsInvoked(string[] args) => args is [Role];

    public static async Task<int> RunAsync()
    {
        PreferForOomKiller();
        using var input = new StreamReader(Console.OpenStandardInput());
        await using var output = new StreamWriter(Console.OpenStandardOutput()) { AutoFlush = true };
        ServiceProvider? provider = null;
        string? settings = null;
        try
        {
            while (await input.ReadLineAsync() is { } line)
            {
                if (line.Length == 0) continue;
                int status;
                try
                {
                    var job = JsonSerializer.Deserialize<ExtractionWorkerJob>(line, ExtractionWorkerExit.Json)
                        ?? throw new InvalidDataException("The extraction job is empty.");
                    var request = JsonSerializer.Deserialize<ExtractionWorkerRequest>(await File.ReadAllBytesAsync(job.RequestPath), ExtractionWorkerExit.Json)
                        ?? throw new InvalidDataException("The extraction request is empty.");
                    // The extractors are built once for the settings the service hands over, again only if they change.
                    var these = JsonSerializer.Serialize(request with { ContentPath = string.Empty, Kind = default, CpuSeconds = 0 }, ExtractionWorkerExit.Json);
                    if (provider is null || these != settings)
                    {
                        if (provider is not null) await provider.DisposeAsync();
                        provider = Services(request);
                        settings = these;
                    }
                    LimitCpuFromNow(request.CpuSeconds);
                    ResetPeakMemory();
                    status = await ExtractAsync(provider.GetRequiredService<TextExtractor>(), request, job.ResultPath);
                }
                catch (OutOfMemoryException)
                {
                    status = ExtractionWorkerExit.OutOfMemory;
                }
                catch (Exception ex)
                {
                    await Console.Error.WriteLineAsync(ex.ToString());
                    status = ExtractionWorkerExit.Failed;
                }
                await output.WriteLineAsync(ExtractionWorkerExit.DoneMarker + status.ToString(CultureInfo.InvariantCulture) + " " +
                    PeakMemoryKiB().ToString(CultureInfo.InvariantCulture));
                if (status is ExtractionWorkerExit.OutOfMemory or ExtractionWorkerExit.Failed) return status;
                // Hand back what the document took before waiting for the next one: an idle worker should cost little.
                GC.Collect(2, GCCollectionMode.Aggressive, blocking: true, compacting: true);
            }
            return ExtractionWorkerExit.Extracted;
        }
        finally
        {
            if (provider is not null) await provider.DisposeAsync();
        }
    }

    private static async Task<int> ExtractAsync(TextExtractor extractor, ExtractionWorkerRequest request, string resultPath)
    {
        try
        {
            var text = await extractor.ExtractAsync(request.ContentPath, request.Kind, CancellationToken.None);
            await ExtractionWorkerExit.WritePagesAsync(ExtractionWorkerExit.PagesPath(resultPath), text.Pages);
            await WriteAsync(resultPath, new ExtractionWorkerResponse(text with { Pages = [] }, null, null));
            return ExtractionWorkerExit.Extracted;
        }
        catch (DocumentUnreadableException unreadable)
        {
            await WriteAsync(resultPath, new ExtractionWorkerResponse(null, unreadable.Reason, unreadable.Detail));
            return ExtractionWorkerExit.Unreadable;
        }
    }

    private static ServiceProvider Services(ExtractionWorkerRequest request)
    {
        var services = new ServiceCollection();
        services.AddLogging(logging => logging.AddSimpleConsole().AddFilter(level => level >= LogLevel.Warning)
            .Services.Configure<Microsoft.Extensions.Logging.Console.ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace));
        services.AddSingleton(Options.Create(request.Processing));
        services.AddSingleton(Options.Create(request.Ocr));
        services.AddSingleton(Options.Create(request.PdfTools));
        services.AddSingleton(Options.Create(request.OfficeTools));
        services.AddTextExtractors();
        return services.BuildServiceProvider();
    }

    private static async Task WriteAsync(string path, ExtractionWorkerResponse response)
    {
        await using var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 81920, useAsync: true);
        await JsonSerializer.SerializeAsync(file, response, ExtractionWorkerExit.Json);
    }

    /// <summary>
    /// The CPU seconds of one document: RLIMIT_CPU counts the process's whole life, so a reused worker moves its soft
    /// limit to what it has used so far plus this document's share (never past the hard limit it was started with).
    /// Past it the kernel sends SIGXCPU, which ends the worker: <c>time-limit</c> for this document.
    /// </summary>
    private static void LimitCpuFromNow(int seconds)
    {
        if (seconds <= 0 || !OperatingSystem.IsLinux()) return;
        if (GetResourceLimit(ResourceCpu, out var limit) != 0) return;
        var used = (ulong)Math.Ceiling(Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds);
        var soft = used + (ulong)seconds;
        limit.Current = Math.Min(soft, limit.Maximum);
        _ = SetResourceLimit(ResourceCpu, ref limit);
    }

    /// <summary>Linux: writing 5 to clear_refs resets the peak resident set (VmHWM), so the next peak is this document's.</summary>
    private static void ResetPeakMemory()
    {
        try
        {
            File.WriteAllText("/proc/self/clear_refs", "5");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Not Linux, or /proc read-only: the peak is then the worker's whole life's.
        }
    }

    /// <summary>The peak resident set since the reset (VmHWM, KiB); 0 when /proc cannot tell.</summary>
    private static long PeakMemoryKiB()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/self/status"))
            {
                if (line.StartsWith("VmHWM:", StringComparison.Ordinal)
                    && long.TryParse(line["VmHWM:".Length..].Replace("kB", "", StringComparison.Ordinal).Trim(), CultureInfo.InvariantCulture, out var kib))
                {
                    return kib;
                }
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
        }
        return 0;
    }

    private const int ResourceCpu = 0;

    [StructLayout(LayoutKind.Sequential)]
    private struct ResourceLimit
    {
        public ulong Current;
        public ulong Maximum;
    }

    [DllImport("libc", EntryPoint = "getrlimit", SetLastError = true)]
    private static extern int GetResourceLimit(int resource, out ResourceLimit limit);

    [DllImport("libc", EntryPoint = "setrlimit", SetLastError = true)]
    private static extern int SetResourceLimit(int resource, ref ResourceLimit limit);

    /// <summary>
    /// When the pod as a whole runs out of memory, the kernel's OOM killer should take this worker, not the service:
    /// raising one's own oom_score_adj needs no privilege. Best effort (not Linux, or /proc read-only).
    /// </summary>
    private static void PreferForOomKiller()
    {
        try
        {
            File.WriteAllText("/proc/self/oom_score_adj", "1000");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Not fatal: the worker's own limits still hold.
        }
    }
}
