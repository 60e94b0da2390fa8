using System.Diagnostics;
using System.Text;
using Kmrl.DocumentApi.Extensions;
using Kmrl.DocumentApi.Ports;
using Kmrl.DocumentApi.Processing;
using Kmrl.DocumentApi.Processing.Isolation;
using Kmrl.DocumentApi.Tests.Activities;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Kmrl.DocumentApi.Tests.Isolation;

/// <summary>
/// The extraction worker for real: this build's Kmrl.DocumentApi.dll started as <c>extract</c> under prlimit. A file
/// that ends the worker (stack overflow, heap cap, CPU cap) is a named rejection, and this test process, which
/// stands for the service, lives on.
/// </summary>
public sealed class IsolatedTextExtractionTests : IDisposable
{
    private readonly DirectoryInfo _folder = Directory.CreateTempSubdirectory("kmrl-isolation-test-");

    public void Dispose() => _folder.Delete(recursive: true);

    internal static IsolatedTextExtraction Worker(ExtractionIsolationOptions? isolation = null, DocumentProcessingOptions? processing = null,
        OcrOptions? ocr = null) =>
        new(Options.Create(isolation ?? new ExtractionIsolationOptions()), Options.Create(processing ?? new DocumentProcessingOptions()),
            Options.Create(ocr ?? new OcrOptions()), Options.Create(new PdfToolOptions()), Options.Create(new OfficeToolOptions()), NullLogger<IsolatedTextExtraction>.Instance);

    private string File(string name, byte[] content)
    {
        var path = Path.Combine(_folder.FullName, name);
        System.IO.File.WriteAllBytes(path, content);
        return path;
    }

    [Fact]
    public async Task A_document_read_in_the_worker_has_the_same_text_as_read_in_the_service()
    {
        var path = File("memo.docx", TestCorpus.Docx("Track maintenance at Aluva", "Work order WO-2024-118"));
        var inProcess = await ExtractTextActivityTests.Extractor(ExtractTextActivityTests.RealOcr(), new DocumentProcessingOptions())
            .ExtractAsync(path, DocumentKind.Docx, CancellationToken.None);

        var isolated = await Worker().ExtractAsync(path, DocumentKind.Docx, CancellationToken.None);

        Assert.Equal(inProcess.Extractor, isolated.Extractor);
        Assert.Equal(inProcess.Pages, isolated.Pages);
        Assert.Equal(ExtractionOutcome.Extracted, isolated.Outcome);
    }

    [Fact]
    public async Task The_worker_converts_legacy_formats_with_LibreOffice_as_the_service_does()
    {
        // The worker builds its own extractors from the settings it is handed: without the office tools' settings
        // every RTF, ODF, legacy Office and .msg document would end quietly as tool-missing.
        var path = File("circular.rtf", OfficeCases.Rtf("Safety circular 12", "Platform screen doors at Edappally"));

        var isolated = await Worker().ExtractAsync(path, DocumentKind.Rtf, CancellationToken.None);

        Assert.Equal(ExtractionOutcome.Extracted, isolated.Outcome);
        Assert.Equal("libreoffice+openxml-word", isolated.Extractor);
        Assert.Contains("Platform screen doors at Edappally", string.Join('\n', isolated.Pages));
    }

    [Fact]
    public async Task An_unreadable_file_keeps_its_named_reason_through_the_worker()
    {
        var path = File("bad.pdf", PdfCases.Truncated("cut short"));

        var unreadable = await Assert.ThrowsAsync<DocumentUnreadableException>(() =>
            Worker().ExtractAsync(path, DocumentKind.Pdf, CancellationToken.None));

        Assert.Equal(RejectionReasons.CorruptPdf, unreadable.Reason);
    }

    [Fact]
    public async Task A_worker_that_dies_without_an_answer_is_extractor_crashed_and_the_service_lives_on()
    {
        // A named pipe nobody writes to holds the worker in its read, deterministically; SIGKILL then ends it the way
        // the kernel's OOM killer or a native crash would, without an answer.
        var path = Path.Combine(_folder.FullName, "held-" + Guid.NewGuid().ToString("N") + ".txt");
        using (var mkfifo = Process.Start("mkfifo", [path]))
        {
            await mkfifo.WaitForExitAsync();
        }
        var extraction = Worker().ExtractAsync(path, DocumentKind.Text, CancellationToken.None);
        var worker = await WorkerReadingAsync(path, TimeSpan.FromSeconds(30));
        Process.GetProcessById(worker).Kill();

        var unreadable = await Assert.ThrowsAsync<DocumentUnreadableException>(() => extraction);

        Assert.Equal(RejectionReasons.ExtractorCrashed, unreadable.Reason);
        Assert.Contains("exit code 137", unreadable.Detail, StringComparison.Ordinal);
    }

    /// <summary>The pid of the extraction worker whose request names <paramref name="contentPath"/>.</summary>
    private static async Task<int> WorkerReadingAsync(string contentPath, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            foreach (var process in Process.GetProcesses())
            {
                var arguments = Read($"/proc/{process.Id}/cmdline").Split('\0', StringSplitOptions.RemoveEmptyEntries);
                if (arguments is [.., ExtractionWorker.Role, var request, _] && Read(request).Contains(contentPath, StringComparison.Ordinal))
                {
                    return process.Id;
                }
            }
            await Task.Delay(50);
        }
        throw new TimeoutException("No extraction worker started for " + contentPath);
    }

    private static string Read(string path)
    {
        try
        {
            return System.IO.File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return string.Empty;
        }
    }

    [Fact]
    public async Task A_file_that_needs_more_than_the_worker_heap_is_memory_limit()
    {
        // 48 MB of text is 96 MB as a .NET string, and reading it to the end needs more again.
        var path = File("big.txt", Encoding.ASCII.GetBytes(new string('a', 48 * 1024 * 1024)));

        var unreadable = await Assert.ThrowsAsync<DocumentUnreadableException>(() =>
            Worker(new ExtractionIsolationOptions { WorkerHeapMiB = 64 }).ExtractAsync(path, DocumentKind.Text, CancellationToken.None));

        Assert.Equal(RejectionReasons.MemoryLimit, unreadable.Reason);
    }

    [Fact]
    public async Task A_file_that_needs_more_than_the_worker_cpu_seconds_is_time_limit()
    {
        var pages = Enumerable.Range(1, 3_000).Select(n => $"Page {n} of the inspection log, Aluva to Petta, all stations checked.").ToArray();
        var path = File("long.pdf", TestCorpus.TextPdf(pages));

        var stopwatch = Stopwatch.StartNew();
        var unreadable = await Assert.ThrowsAsync<DocumentUnreadableException>(() =>
            Worker(new ExtractionIsolationOptions { WorkerCpuSeconds = 1 }).ExtractAsync(path, DocumentKind.Pdf, CancellationToken.None));

        Assert.Equal(RejectionReasons.TimeLimit, unreadable.Reason);
        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(60), $"took {stopwatch.Elapsed}");
    }

    [Fact]
    public async Task Cancelling_the_extraction_kills_the_worker()
    {
        var path = Path.Combine(_folder.FullName, "held-" + Guid.NewGuid().ToString("N") + ".txt");
        using (var mkfifo = Process.Start("mkfifo", [path]))
        {
            await mkfifo.WaitForExitAsync();
        }
        using var cancel = new CancellationTokenSource();
        var extraction = Worker().ExtractAsync(path, DocumentKind.Text, cancel.Token);
        var worker = Process.GetProcessById(await WorkerReadingAsync(path, TimeSpan.FromSeconds(30)));

        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => extraction);
        Assert.True(worker.WaitForExit(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task Without_prlimit_the_worker_is_tool_missing()
    {
        var path = File("memo.txt", "a note"u8.ToArray());

        var unreadable = await Assert.ThrowsAsync<ToolNotInstalledException>(() =>
            Worker(new ExtractionIsolationOptions { PrlimitPath = "/nonexistent/prlimit" }).ExtractAsync(path, DocumentKind.Text, CancellationToken.None));

        Assert.Equal(RejectionReasons.ToolMissing, unreadable.Reason);
    }
}
