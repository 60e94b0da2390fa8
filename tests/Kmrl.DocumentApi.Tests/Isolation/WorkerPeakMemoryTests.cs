using Kmrl.DocumentApi.Extensions;
using Kmrl.DocumentApi.Ports;
using Kmrl.DocumentApi.Processing.Isolation;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Xunit.Abstractions;

namespace Kmrl.DocumentApi.Tests.Isolation;

/// <summary>
/// Peak memory (issue 18): the hostile corpus of R3 that reaches extraction, each document in a fresh worker under a
/// 256 MiB heap cap, with the peak resident memory the worker measured for it (VmHWM, reset per document). Whether a
/// document is read or refused, the worker stays under its heap cap plus what the runtime itself takes, so a pod's
/// memory is bounded by the number of workers, not by what a file asks for.
/// </summary>
public sealed class WorkerPeakMemoryTests(ITestOutputHelper output) : IDisposable
{
    private const int HeapMiB = 256;
    // The runtime's own resident memory beside the managed heap (code, JIT, native buffers): 60-90 MiB measured.
    private const int RuntimeMiB = 160;
    private readonly DirectoryInfo _folder = Directory.CreateTempSubdirectory("kmrl-peak-test-");
    private readonly IsolatedTextExtraction _extraction = new(
        Options.Create(new ExtractionIsolationOptions { WorkerHeapMiB = HeapMiB, DocumentsPerWorker = 1, MaxWorkers = 1 }),
        Options.Create(new DocumentProcessingOptions()), Options.Create(new OcrOptions()), Options.Create(new PdfToolOptions()),
        Options.Create(new OfficeToolOptions()), NullLogger<IsolatedTextExtraction>.Instance);

    public void Dispose()
    {
        _extraction.Dispose();
        _folder.Delete(recursive: true);
    }

    public static TheoryData<string> Names => [.. Corpus.Keys];

    private static readonly Dictionary<string, (string FileName, DocumentKind Kind, Func<byte[]> Content)> Corpus = new()
    {
        ["docx-nested-200000-deep"] = ("nested.docx", DocumentKind.Docx, () => TestCorpus.DeeplyNestedDocx(200_000)),
        ["xlsx-nested-200000-deep"] = ("nested.xlsx", DocumentKind.Xlsx, () => TestCorpus.DeeplyNestedXlsx(200_000)),
        ["pptx-nested-200000-deep"] = ("nested.pptx", DocumentKind.Pptx, () => TestCorpus.DeeplyNestedPptx(200_000)),
        ["po-then-2000-spaces"] = ("po.txt", DocumentKind.Text, () => System.Text.Encoding.UTF8.GetBytes("Order note\n\nPO" + new string(' ', 2_000) + "\n")),
        ["html-only-mail-400000-chars-of-unclosed-script"] = ("html.eml", DocumentKind.Email,
            () => TestCorpus.HtmlOnlyEml("ops@kochimetro.org", "HTML only", string.Concat(Enumerable.Repeat("<script>", 50_000)))),
        ["png-30000x30000-pixel-bomb"] = ("bomb.png", DocumentKind.Png, () => HostileFiles.HugePng(30_000, 30_000)),
        ["pdf-200-inch-page-without-text-layer"] = ("huge-page.pdf", DocumentKind.Pdf, () => HostileFiles.HugePagePdf()),
        // R3 has 1.5 million paragraphs (30 million characters); 200,000 keep this test short (the 400,000 of
        // IsolatedTextExtractionTests show the DOM would not fit).
        ["docx-200000-paragraphs"] = ("many.docx", DocumentKind.Docx, () => HostileFiles.ManyParagraphsDocx(200_000)),
    };

    [Theory]
    [MemberData(nameof(Names))]
    public async Task A_hostile_document_keeps_its_worker_under_the_heap_cap_plus_the_runtime(string name)
    {
        var (fileName, kind, content) = Corpus[name];
        var path = Path.Combine(_folder.FullName, fileName);
        await File.WriteAllBytesAsync(path, content());

        string outcome;
        try
        {
            var text = await _extraction.ExtractAsync(path, kind, CancellationToken.None);
            outcome = "extracted, " + text.Pages.Sum(page => page.Length) + " characters";
        }
        catch (DocumentUnreadableException unreadable)
        {
            outcome = unreadable.Reason;
        }

        var peak = _extraction.LastPeakRssBytes ?? throw new InvalidOperationException("The worker reported no peak for " + name);
        output.WriteLine($"{name}: {outcome}, peak {peak / (1024 * 1024)} MiB resident");
        Assert.True(peak < (HeapMiB + RuntimeMiB) * 1024L * 1024, $"{name} ({outcome}) peaked at {peak / (1024 * 1024)} MiB");
        Assert.NotEqual(RejectionReasons.ExtractorCrashed, outcome);
    }
}
