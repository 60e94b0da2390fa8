using System.ComponentModel.DataAnnotations;

namespace Kmrl.DocumentApi.Extensions;

/// <summary>
/// Where text extraction runs. Enabled (the default), every extraction runs in a worker process of this same binary
/// (<c>Kmrl.DocumentApi extract</c>), kept in a bounded pool and reused for <see cref="DocumentsPerWorker"/>
/// documents, with a managed-heap cap, an address-space cap and a CPU-seconds cap per document, and the
/// tools it starts (pdftoppm, tesseract, pdftotext, qpdf) run under their own caps; a crash, an out-of-memory or a
/// CPU overrun there is a named rejection of that one document. Disabled, the extractors run in the service itself.
/// </summary>
public sealed class ExtractionIsolationOptions : IValidatableObject
{
    private const long MiB = 1024 * 1024;

    /// <summary>What a worker's own native code needs beside the GC and the JIT (stacks, glibc, ICU, mapped assemblies): 512 MiB.</summary>
    public const int WorkerNativeBudgetMiB = 512;

    public const string Section = "DocumentProcessing:Isolation";

    public bool Enabled { get; set; } = true;

    /// <summary>The worker's managed heap (DOTNET_GCHeapHardLimit): past it the extractor gets OutOfMemoryException.</summary>
    [Range(64, 65_536)]
    public int WorkerHeapMiB { get; set; } = 768;

    /// <summary>
    /// The worker's address space (RLIMIT_AS), a backstop for native allocations; heap + 3 GiB by default, 0 sets none.
    /// .NET reserves address space far beyond what it uses, and sizes two reservations from this limit itself: the JIT's
    /// executable memory takes 20 % of it (dotnet/runtime pal/src/map/virtual.cpp TryReserveInitialMemory,
    /// InitialExecMemoryPercent), and the GC's region range would take half of it (gc.cpp GCHeap::Initialize: 5 × the
    /// hard limit, at most half the limit), which is why the worker sets the range itself
    /// (<see cref="WorkerGcRegionRangeBytes"/>). What is left must hold the rest: <see cref="WorkerNativeBudgetMiB"/>.
    /// </summary>
    [Range(0, 1_048_576)]
    public int WorkerAddressSpaceMiB { get; set; } = 768 + 3072;

    /// <summary>
    /// The worker GC's region range (DOTNET_GCRegionRange): twice the heap cap (at least 256 MiB, so that a small cap
    /// still has its initial regions), room for the regions the cap lets it commit. Left to the GC, it was half the
    /// address-space limit whatever the heap.
    /// </summary>
    public long WorkerGcRegionRangeBytes => Math.Max(2L * WorkerHeapMiB, 256) * MiB;

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

    /// <summary>
    /// An address-space cap that the GC's range, the JIT's 20 % and the native budget do not fit in would leave the
    /// worker aborting at start or on the first document that needs a thread (exit 134), not a named rejection.
    /// </summary>
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (WorkerAddressSpaceMiB == 0) yield break;
        var needed = (WorkerGcRegionRangeBytes / MiB + WorkerNativeBudgetMiB) * 100 / 80;
        if (WorkerAddressSpaceMiB < needed)
        {
            yield return new ValidationResult(
                $"WorkerAddressSpaceMiB {WorkerAddressSpaceMiB} is too small for a {WorkerHeapMiB} MiB heap: the worker needs at least {needed} MiB " +
                $"(the GC's {WorkerGcRegionRangeBytes / MiB} MiB region range and {WorkerNativeBudgetMiB} MiB native in the 80 % the JIT leaves), or 0 for no cap.",
                [nameof(WorkerAddressSpaceMiB)]);
        }
    }
}
