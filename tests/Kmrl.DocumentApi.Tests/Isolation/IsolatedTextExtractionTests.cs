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
    private readonly List<IsolatedTextExtraction> _extractions = [];

    public void Dispose()
    {
        // Each pool's idle workers end with it (their input closes), as they do when the service stops.
        foreach (var extraction in _extractions) extraction.Dispose();
        _folder.Delete(recursive: true);
    }

    private IsolatedTextExtraction Worker(ExtractionIsolationOptions? isolation = null, DocumentProcessingOptions? processing = null,
        OcrOptions? ocr = null)
    {
        var extraction = new IsolatedTextExtraction(Options.Create(isolation ?? new ExtractionIsolationOptions()), Options.Create(processing ?? new DocumentProcessingOptions()),
            Options.Create(ocr ?? new OcrOptions()), Options.Create(new PdfToolOptions()), Options.Create(new OfficeToolOptions()), NullLogger<IsolatedTextExtraction>.Instance);
        _extractions.Add(extraction);
        return extraction;
    }

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
        var pool = Worker();
        var extraction = pool.ExtractAsync(path, DocumentKind.Text, CancellationToken.None);
        var worker = await WorkerReadingAsync(pool, TimeSpan.FromSeconds(30));
        Process.GetProcessById(worker).Kill();

        var unreadable = await Assert.ThrowsAsync<DocumentUnreadableException>(() => extraction);

        Assert.Equal(RejectionReasons.ExtractorCrashed, unreadable.Reason);
        Assert.Contains("exit code 137", unreadable.Detail, StringComparison.Ordinal);
    }

    /// <summary>
    /// The pid of the worker that took the document: this extraction's pool has one busy worker (opening the FIFO
    /// blocks until a writer comes, so the worker is held in open() without an open descriptor to find it by).
    /// </summary>
    private static async Task<int> WorkerReadingAsync(IsolatedTextExtraction extraction, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            // One of its threads waits in the kernel for the FIFO's writer.
            if (extraction.WorkerProcessIds is [var pid] && Threads(pid).Any(thread => Read($"/proc/{pid}/task/{thread}/wchan") == "wait_for_partner"))
            {
                return pid;
            }
            await Task.Delay(50);
        }
        throw new TimeoutException("No extraction worker got to the document in time");
    }

    private static IEnumerable<string> Threads(int pid)
    {
        try
        {
            return [.. new DirectoryInfo($"/proc/{pid}/task").EnumerateDirectories().Select(task => task.Name)];
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return [];
        }
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
    public async Task Workers_are_reused_for_their_quota_of_documents_and_then_replaced()
    {
        var extraction = Worker(new ExtractionIsolationOptions { DocumentsPerWorker = 3, MaxWorkers = 1 });
        var path = File("memo.docx", TestCorpus.Docx("Track maintenance at Aluva"));

        for (var i = 0; i < 7; i++)
        {
            var text = await extraction.ExtractAsync(path, DocumentKind.Docx, CancellationToken.None);
            Assert.Contains("Track maintenance at Aluva", text.Pages[0], StringComparison.Ordinal);
        }

        // Seven documents, three a worker: three workers, not seven.
        Assert.Equal(3, extraction.WorkersStarted);
    }

    [Fact]
    public async Task After_a_worker_dies_on_a_document_the_next_document_is_read_by_a_fresh_worker()
    {
        var extraction = Worker(new ExtractionIsolationOptions { WorkerHeapMiB = 64, MaxWorkers = 1 });
        var good = File("memo.txt", "Platform screen doors at Edappally"u8.ToArray());
        Assert.Equal("Platform screen doors at Edappally", Assert.Single((await extraction.ExtractAsync(good, DocumentKind.Text, CancellationToken.None)).Pages));
        var big = File("big.txt", Encoding.ASCII.GetBytes(new string('a', 48 * 1024 * 1024)));

        var unreadable = await Assert.ThrowsAsync<DocumentUnreadableException>(() => extraction.ExtractAsync(big, DocumentKind.Text, CancellationToken.None));

        Assert.Equal(RejectionReasons.MemoryLimit, unreadable.Reason);
        Assert.Equal("Platform screen doors at Edappally", Assert.Single((await extraction.ExtractAsync(good, DocumentKind.Text, CancellationToken.None)).Pages));
        // The big file ended the reused worker, was tried again on a fresh one (which it ended too: its own fault),
        // and the next document got a third.
        Assert.Equal(3, extraction.WorkersStarted);
    }

    [Fact]
    public async Task The_cpu_seconds_are_per_document_so_a_reused_worker_does_not_run_out_of_them()
    {
        // Each document takes well under a CPU second; together they take more than the one a document may use.
        var extraction = Worker(new ExtractionIsolationOptions { WorkerCpuSeconds = 1, MaxWorkers = 1 });
        var path = File("log.pdf", TestCorpus.TextPdf([.. Enumerable.Range(1, 300).Select(n => $"Page {n}: all stations from Aluva to Petta checked.")]));
        var cpu = TimeSpan.Zero;

        for (var i = 0; i < 40 && cpu < TimeSpan.FromSeconds(2.5); i++)
        {
            var text = await extraction.ExtractAsync(path, DocumentKind.Pdf, CancellationToken.None);
            Assert.Equal(300, text.Pages.Count);
            cpu = Process.GetProcessById(Assert.Single(extraction.WorkerProcessIds)).TotalProcessorTime;
        }

        Assert.Equal(1, extraction.WorkersStarted);
        Assert.True(cpu > TimeSpan.FromSeconds(2), $"the worker used only {cpu} of CPU; the test proves nothing below twice its per-document cap");
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
    public async Task A_docx_whose_dom_would_pass_the_worker_heap_is_read_as_a_stream_within_it()
    {
        // 400,000 paragraphs: some 200 MB as the Open XML SDK's DOM (1.5 million passed a 768 MiB heap on main), but
        // 8 million characters of text when the parts are read as a stream.
        var path = File("many.docx", HostileFiles.ManyParagraphsDocx(400_000));

        var isolated = await Worker(new ExtractionIsolationOptions { WorkerHeapMiB = 160 }).ExtractAsync(path, DocumentKind.Docx, CancellationToken.None);

        Assert.Equal(ExtractionOutcome.Extracted, isolated.Outcome);
        var lines = Assert.Single(isolated.Pages).Split('\n');
        Assert.Equal(400_000, lines.Length);
        Assert.All(lines, line => Assert.StartsWith("Track circuit fault", line, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_file_that_needs_more_than_the_worker_cpu_seconds_is_time_limit()
    {
        // Well past one CPU second on a fast, idle machine too: 3,000 pages were read inside it once the pooled worker's
        // address space was fixed.
        var pages = Enumerable.Range(1, 12_000).Select(n => $"Page {n} of the inspection log, Aluva to Petta, all stations checked.").ToArray();
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
        var pool = Worker();
        var extraction = pool.ExtractAsync(path, DocumentKind.Text, cancel.Token);
        var worker = Process.GetProcessById(await WorkerReadingAsync(pool, TimeSpan.FromSeconds(30)));

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
