using System.ComponentModel.DataAnnotations;
using System.Globalization;
using Kmrl.DocumentApi.Extensions;
using Kmrl.DocumentApi.Processing.Isolation;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Xunit.Abstractions;

namespace Kmrl.DocumentApi.Tests.Isolation;

/// <summary>
/// Why reused workers aborted on ordinary PDFs (R1: exit 134, PAL_SEHException or "Fatal error."): under its
/// address-space cap the worker had 28 MiB of it left after its first document. The runtime sizes two reservations
/// from RLIMIT_AS itself (the GC's region range, half the cap; the JIT's executable memory, a fifth) and glibc gave
/// each allocating thread a 64 MiB arena (13 of them, 832 MiB), so the next thread, code page or exception a later
/// document needed could not be mapped. Measured with /proc/&lt;pid&gt;/status and maps on the live worker.
/// </summary>
public sealed class ReusedWorkerAddressSpaceTests(ITestOutputHelper output) : IDisposable
{
    private const long MiB = 1024 * 1024;
    private readonly DirectoryInfo _folder = Directory.CreateTempSubdirectory("kmrl-address-space-");

    public void Dispose() => _folder.Delete(recursive: true);

    [Fact]
    public async Task A_reused_worker_reads_ordinary_pdfs_one_after_another_with_room_left_under_its_address_space_cap()
    {
        var isolation = new ExtractionIsolationOptions { DocumentsPerWorker = 1_000, MaxWorkers = 1 };
        using var extraction = new IsolatedTextExtraction(Options.Create(isolation), Options.Create(new DocumentProcessingOptions()),
            Options.Create(new OcrOptions()), Options.Create(new PdfToolOptions()), Options.Create(new OfficeToolOptions()),
            NullLogger<IsolatedTextExtraction>.Instance);
        var cap = isolation.WorkerAddressSpaceMiB * MiB;
        var least = long.MaxValue;

        for (var i = 1; i <= 12; i++)
        {
            var path = Path.Combine(_folder.FullName, $"WO-{i:D5}.pdf");
            await File.WriteAllBytesAsync(path, TestCorpus.TextPdf($"KMRL work order WO-{i:D5}",
                $"Bogie inspection of train set TS-{i % 25 + 1:D2} at Muttom depot, job card {i * 7919 % 100000:D5}."));

            var text = await extraction.ExtractAsync(path, DocumentKind.Pdf, CancellationToken.None);

            Assert.Contains($"WO-{i:D5}", text.Pages[0], StringComparison.Ordinal);
            var reserved = VmSizeBytes(Assert.Single(extraction.WorkerProcessIds));
            least = Math.Min(least, cap - reserved);
            output.WriteLine($"document {i}: {reserved / MiB} MiB of the worker's {cap / MiB} MiB address space reserved");
        }

        Assert.Equal(1, extraction.WorkersStarted);
        // Before: 28 MiB left. The native budget is what threads, stacks, code pages and glibc need beside the GC and JIT.
        Assert.True(least >= ExtractionIsolationOptions.WorkerNativeBudgetMiB * MiB,
            $"the worker had only {least / MiB} MiB of its address-space cap left");
    }

    [Fact]
    public void An_address_space_cap_too_small_for_the_heap_is_refused_at_start()
    {
        var tooSmall = new ExtractionIsolationOptions { WorkerHeapMiB = 2048 };
        var unlimited = new ExtractionIsolationOptions { WorkerHeapMiB = 2048, WorkerAddressSpaceMiB = 0 };
        var results = new List<System.ComponentModel.DataAnnotations.ValidationResult>();

        Assert.False(Validator.TryValidateObject(tooSmall, new ValidationContext(tooSmall), results, validateAllProperties: true));
        Assert.Contains("too small for a 2048 MiB heap", Assert.Single(results).ErrorMessage, StringComparison.Ordinal);
        Assert.True(Validator.TryValidateObject(unlimited, new ValidationContext(unlimited), [], validateAllProperties: true));
        var defaults = new ExtractionIsolationOptions();
        Assert.True(Validator.TryValidateObject(defaults, new ValidationContext(defaults), [], validateAllProperties: true));
    }

    private static long VmSizeBytes(int pid)
    {
        var line = File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith("VmSize:", StringComparison.Ordinal));
        return long.Parse(line["VmSize:".Length..].Replace("kB", "", StringComparison.Ordinal).Trim(), CultureInfo.InvariantCulture) * 1024;
    }
}
