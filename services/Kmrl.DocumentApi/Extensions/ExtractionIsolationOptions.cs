using System.ComponentModel.DataAnnotations;

namespace Kmrl.DocumentApi.Extensions;

/// <summary>
/// Where text extraction runs. Enabled (the default), every extraction runs in a worker process of this same binary
/// (<c>Kmrl.DocumentApi extract</c>), kept in a bounded pool and reused for <see cref="DocumentsPerWorker"/>
/// documents, with a managed-heap cap, an address-space cap and a CPU-seconds cap per document, and the
/// tools it starts (pdftoppm, tesseract, pdftotext, qpdf) run under their own caps; a crash, an out-of-memory or a
/// CPU overrun there is a named rejection of that one document. Disabled, the extractors run in the service itself.
/// </summary>
public sealed class ExtractionIsolationOptions
{
    public const string Section = "DocumentProcessing:Isolation";

    public bool Enabled { get; set; } = true;

    /// <summary>The worker's managed heap (DOTNET_GCHeapHardLimit): past it the extractor gets OutOfMemoryException.</summary>
    [Range(64, 65_536)]
    public int WorkerHeapMiB { get; set; } = 768;

    /// <summary>
    /// The worker's address space (RLIMIT_AS), a backstop for native allocations. .NET reserves address space well
    /// beyond what it uses (the runtime did not start under 2 GiB with a 512 MiB heap), so this is heap + 3 GiB by
    /// default; 0 sets none.
    /// </summary>
    [Range(0, 1_048_576)]
    public int WorkerAddressSpaceMiB { get; set; } = 768 + 3072;

    /// <summary>CPU seconds the worker may use for one document (RLIMIT_CPU, moved per document); the tools it starts have their own.</summary>
    [Range(1, 86_400)]
    public int WorkerCpuSeconds { get; set; } = 900;

    /// <summary>Address space of each tool the worker starts (pdftoppm, tesseract, qpdf...): they are native, so this is close to their memory.</summary>
    [Range(64, 1_048_576)]
    public int ToolAddressSpaceMiB { get; set; } = 2048;

    [Range(1, 86_400)]
    public int ToolCpuSeconds { get; set; } = 300;

    /// <summary>
    /// Documents one worker reads before it is retired for a fresh one. Reuse spares a .NET start-up per document
    /// (R1's 500 PDFs on 2 cores starved the connector with one worker each); retiring bounds what one worker's
    /// state (caches, a fragmented heap) can carry from document to document. 1 is a worker per document.
    /// </summary>
    [Range(1, 100_000)]
    public int DocumentsPerWorker { get; set; } = 50;

    /// <summary>Workers at once; 0 means one per core, the number of extractions the CPU limiter lets run together.</summary>
    [Range(0, 1024)]
    public int MaxWorkers { get; set; }

    public int EffectiveMaxWorkers => MaxWorkers > 0 ? MaxWorkers : Environment.ProcessorCount;

    /// <summary>util-linux prlimit, which applies the limits.</summary>
    [Required]
    public string PrlimitPath { get; set; } = "prlimit";

    /// <summary>The dotnet host that starts the worker; empty means the one running this service.</summary>
    public string? DotnetPath { get; set; }
}
