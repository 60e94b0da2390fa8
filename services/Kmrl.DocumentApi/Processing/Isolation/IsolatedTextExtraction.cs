using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using Kmrl.DocumentApi.Adapters;
using Kmrl.DocumentApi.Extensions;
using Kmrl.DocumentApi.Model;
using Kmrl.DocumentApi.Ports;
using Microsoft.Extensions.Options;

namespace Kmrl.DocumentApi.Processing.Isolation;

/// <summary>
/// Extraction in worker processes, the way Apache Tika's forked mode isolates its parsers: this binary started again
/// as <see cref="ExtractionWorker"/> under prlimit (CPU seconds per document, address space, no core files) with a
/// managed-heap cap, its tools under caps of their own, and kept in a bounded pool (<see cref="ExtractionWorkerPool"/>)
/// so a document does not pay a .NET start-up. A job's end is read from the worker's status line or, when it died,
/// its exit code: an answer, a named unreadable file, or <c>memory-limit</c>, <c>time-limit</c> and
/// <c>extractor-crashed</c> for the ways a hostile file can end it. Each of those is this one document's rejection;
/// the service never shares the fate, and the next document gets a fresh worker.
/// </summary>
public sealed partial class IsolatedTextExtraction : ITextExtraction, IDisposable
{
    private const long MiB = 1024 * 1024;
    private readonly IOptions<ExtractionIsolationOptions> _isolation;
    private readonly IOptions<DocumentProcessingOptions> _processing;
    private readonly IOptions<OcrOptions> _ocr;
    private readonly IOptions<PdfToolOptions> _pdfTools;
    private readonly IOptions<OfficeToolOptions> _officeTools;
    private readonly ILogger<IsolatedTextExtraction> _logger;
    private readonly Lazy<ExtractionWorkerPool> _pool;

    public IsolatedTextExtraction(
        IOptions<ExtractionIsolationOptions> isolation,
        IOptions<DocumentProcessingOptions> processing,
        IOptions<OcrOptions> ocr,
        IOptions<PdfToolOptions> pdfTools,
        IOptions<OfficeToolOptions> officeTools,
        ILogger<IsolatedTextExtraction> logger)
    {
        _isolation = isolation;
        _processing = processing;
        _ocr = ocr;
        _pdfTools = pdfTools;
        _officeTools = officeTools;
        _logger = logger;
        _pool = new Lazy<ExtractionWorkerPool>(() => new ExtractionWorkerPool(
            isolation.Value.EffectiveMaxWorkers, isolation.Value.DocumentsPerWorker, StartWorker));
    }

    /// <summary>Worker processes started so far: fewer than documents read when workers are reused.</summary>
    public int WorkersStarted => _pool.IsValueCreated ? _pool.Value.Started : 0;

    /// <summary>The peak resident memory a worker reported for the last document it answered (bytes).</summary>
    internal long? LastPeakRssBytes { get; private set; }

    /// <summary>The process ids of this service's workers alive now.</summary>
    internal IReadOnlyList<int> WorkerProcessIds => _pool.IsValueCreated ? _pool.Value.ProcessIds : [];

    public async Task<ExtractedText> ExtractAsync(string path, DocumentKind kind, CancellationToken cancellationToken)
    {
        var options = _isolation.Value;
        var folder = Directory.CreateTempSubdirectory("kmrl-extract-");
        try
        {
            var requestPath = Path.Combine(folder.FullName, "request.json");
            var resultPath = Path.Combine(folder.FullName, "result.json");
            var request = new ExtractionWorkerRequest(Path.GetFullPath(path), kind, _processing.Value, _ocr.Value, _pdfTools.Value, _officeTools.Value,
                options.WorkerCpuSeconds);
            await File.WriteAllBytesAsync(requestPath, JsonSerializer.SerializeToUtf8Bytes(request, ExtractionWorkerExit.Json), cancellationToken);

            // The activity's deadline (ExtractTimeBudget) is the wall-clock limit: cancelled, the pool kills the
            // worker's whole process tree.
            var (run, peak) = await _pool.Value.RunAsync(new ExtractionWorkerJob(requestPath, resultPath), cancellationToken);
            if (peak is { } bytes)
            {
                LastPeakRssBytes = bytes;
                LogWorkerPeak(_logger, kind, bytes / MiB, run.ExitCode);
            }
            return await AnswerAsync(run, resultPath, options, cancellationToken);
        }
        finally
        {
            try
            {
                folder.Delete(recursive: true);
            }
            catch (IOException)
            {
                // A leftover temp folder is harmless; the OS temp cleaner takes it.
            }
        }
    }

    private Process StartWorker()
    {
        var options = _isolation.Value;
        var environment = new Dictionary<string, string?>
        {
            ["DOTNET_GCHeapHardLimit"] = (options.WorkerHeapMiB * MiB).ToString("X", CultureInfo.InvariantCulture),
            // One heap, no background GC thread per core: the worker is one job on one CPU slot.
            ["DOTNET_gcServer"] = "0",
            // Under RLIMIT_AS the runtime sizes its reservations from the limit (ExtractionIsolationOptions
            // WorkerAddressSpaceMiB): the GC's range is set here, so it takes what the heap cap can use, not half.
            ["DOTNET_GCRegionRange"] = options.WorkerGcRegionRangeBytes.ToString("X", CultureInfo.InvariantCulture),
            // glibc gives each thread that allocates its own 64 MiB arena, up to 8 per core (mallopt(3) M_ARENA_MAX).
            // Reused workers aborted (exit 134, PAL_SEHException or "Fatal error.") on ordinary PDFs because of them:
            // 13 arenas held 832 MiB, and with the GC's and the JIT's reservations the worker had 28 MiB of its cap
            // left, so the next thread, code page or exception it needed could not be mapped. One job at a time
            // needs two arenas.
            ["MALLOC_ARENA_MAX"] = "2",
        };
        new ToolLimits(options.ToolAddressSpaceMiB * MiB, options.ToolCpuSeconds, options.PrlimitPath).AddTo(environment);
        // The soft CPU limit is per document (the worker moves it before each one); the hard limit bounds its life.
        var limits = new ToolLimits(options.WorkerAddressSpaceMiB * MiB, options.WorkerCpuSeconds, options.PrlimitPath,
            CpuHardSeconds: options.WorkerCpuSeconds * (options.DocumentsPerWorker + 1));
        return ToolProcess.Start(DotnetHost(options), [WorkerAssembly, ExtractionWorker.Role], limits, environment, redirectInput: true);
    }

    public void Dispose()
    {
        if (_pool.IsValueCreated) _pool.Value.Dispose();
    }

    private async Task<ExtractedText> AnswerAsync(ToolRun run, string resultPath, ExtractionIsolationOptions options, CancellationToken cancellationToken)
    {
        switch (run.ExitCode)
        {
            case ExtractionWorkerExit.Extracted:
                var text = (await ReadAsync(resultPath, cancellationToken)).Text
                    ?? throw new InvalidOperationException("The extraction worker answered without text.");
                return text with { Pages = await ExtractionWorkerExit.ReadPagesAsync(ExtractionWorkerExit.PagesPath(resultPath), cancellationToken) };
            case ExtractionWorkerExit.Unreadable:
                var answer = await ReadAsync(resultPath, cancellationToken);
                throw new DocumentUnreadableException(answer.Reason ?? RejectionReasons.ExtractorCrashed, answer.Detail ?? string.Empty);
            case ExtractionWorkerExit.Failed:
                // An exception the extractors did not name: as in-process, the activity fails and is retried.
                throw new InvalidOperationException("The extraction worker failed: " + ToolProcess.FirstLine(run.Stderr));
        }
        var (reason, detail) = run.ExitCode switch
        {
            ExtractionWorkerExit.OutOfMemory => (RejectionReasons.MemoryLimit,
                $"Extraction needed more than the worker's {options.WorkerHeapMiB} MiB heap."),
            // An OutOfMemoryException outside the worker's own catch, or the runtime refused its reservation (E_OUTOFMEMORY).
            _ when run.Stderr.Contains("OutOfMemoryException", StringComparison.Ordinal) || run.Stderr.Contains("0x8007000E", StringComparison.Ordinal) => (RejectionReasons.MemoryLimit,
                $"Extraction needed more than the worker's {options.WorkerHeapMiB} MiB heap."),
            ToolRun.KilledBySigxcpu => (RejectionReasons.TimeLimit,
                $"Extraction used more than the worker's {options.WorkerCpuSeconds} CPU seconds."),
            // SIGKILL (the kernel's OOM killer for the pod, or an operator), SIGSEGV, SIGABRT (a stack overflow): no
            // answer, and no telling more than the exit code.
            _ => (RejectionReasons.ExtractorCrashed,
                $"The extraction worker ended with exit code {run.ExitCode}: {ToolProcess.FirstLine(run.Stderr)}"),
        };
        LogWorkerEnded(_logger, run.ExitCode, reason, ToolProcess.FirstLine(run.Stderr));
        throw new DocumentUnreadableException(reason, detail);
    }

    private static async Task<ExtractionWorkerResponse> ReadAsync(string resultPath, CancellationToken cancellationToken)
    {
        await using var file = new FileStream(resultPath, FileMode.Open, FileAccess.Read, FileShare.Read, 81920, useAsync: true);
        return await JsonSerializer.DeserializeAsync<ExtractionWorkerResponse>(file, ExtractionWorkerExit.Json, cancellationToken)
            ?? throw new InvalidOperationException("The extraction worker's answer is empty.");
    }

    /// <summary>This assembly: the worker is the service's own binary in another role, so it is always the same build.</summary>
    private static string WorkerAssembly => typeof(ExtractionWorker).Assembly.Location;

    /// <summary>The configured host, else the dotnet running this process (a test host's too), else the one this runtime came with.</summary>
    internal static string DotnetHost(ExtractionIsolationOptions options)
    {
        if (options.DotnetPath is { Length: > 0 } configured) return configured;
        if (Environment.ProcessPath is { } current && Path.GetFileNameWithoutExtension(current) == "dotnet") return current;
        // <root>/shared/Microsoft.NETCore.App/<version>/ → <root>/dotnet
        var root = Path.GetFullPath(Path.Combine(RuntimeEnvironment.GetRuntimeDirectory(), "..", "..", ".."));
        return Path.Combine(root, OperatingSystem.IsWindows() ? "dotnet.exe" : "dotnet");
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Extraction of a {Kind} peaked at {PeakMiB} MiB resident in its worker (status {Status})")]
    private static partial void LogWorkerPeak(ILogger logger, DocumentKind kind, long peakMiB, int status);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The extraction worker ended with exit code {ExitCode}, rejected as {Reason}: {Errors}")]
    private static partial void LogWorkerEnded(ILogger logger, int exitCode, string reason, string errors);
}
