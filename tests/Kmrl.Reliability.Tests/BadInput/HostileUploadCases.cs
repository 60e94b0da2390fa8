using System.Text;
using Kmrl.Testing.Documents;

namespace Kmrl.Reliability.Tests.BadInput;

/// <summary>
/// Issue 18's hostile documents: each one took document-api down or held a core for minutes. They run against
/// document-api as a child process (<see cref="HostileUploadFixture"/>), because a stack overflow ends the process
/// it happens in, and a test host is no place for one. Outcomes as in <see cref="UploadCases"/>, plus
/// <c>service-died:exit-N</c> when the upload ended the service and <c>timed-out</c> when it never finished.
/// </summary>
public static class HostileUploadCases
{
    public const int MaxFileBytes = 4 * 1024 * 1024;

    /// <summary>The extraction worker's heap in this table's service (DocumentProcessing:Isolation:WorkerHeapMiB).</summary>
    public const int WorkerHeapMiB = 256;

    public static IReadOnlyList<UploadCase> All { get; } =
    [
        new("docx-nested-200000-deep", "rejected:too-deeply-nested", () => One("nested.docx", TestCorpus.DeeplyNestedDocx(200_000), TestCorpus.DocxType)),
        new("xlsx-nested-200000-deep", "rejected:too-deeply-nested", () => One("nested.xlsx", TestCorpus.DeeplyNestedXlsx(200_000), TestCorpus.XlsxType)),
        new("pptx-nested-200000-deep", "rejected:too-deeply-nested", () => One("nested.pptx", TestCorpus.DeeplyNestedPptx(200_000), TestCorpus.PptxType)),
        new("po-then-2000-spaces", "processed", () => One("po.txt", Encoding.UTF8.GetBytes("Order note\n\nPO" + new string(' ', 2_000) + "\n"), "text/plain")),
        new("3-kb-text-work-order-then-spaces", "processed", () => One("wo-3kb.txt",
            Encoding.UTF8.GetBytes("Work order" + new string(' ', 3_000) + "\n"), "text/plain")),
        new("html-only-mail-400000-chars-of-unclosed-script", "processed", () => One("html.eml",
            TestCorpus.HtmlOnlyEml("ops@kochimetro.org", "HTML only", string.Concat(Enumerable.Repeat("<script>", 50_000))), "message/rfc822")),
        new("png-30000x30000-pixel-bomb-110-kb", "rejected:extract:image-too-large", () => One("bomb.png", HostileFiles.HugePng(30_000, 30_000), "image/png")),
        new("pdf-200-inch-page-without-text-layer", "processed:failed-pages=1", () => One("huge-page.pdf", HostileFiles.HugePagePdf(), "application/pdf")),
        // Under the zip caps: as the Open XML SDK's DOM well over the worker's heap (1.5 million paragraphs needed more
        // than 768 MiB, so 600,000 more than 256 MiB), which made it memory-limit; read as a stream it is 12 million
        // characters of text, of which the summary and key fields take the first MaxAnalysedChars.
        new("docx-600000-paragraphs-dom-over-the-worker-heap", "processed", () => One("many.docx", HostileFiles.ManyParagraphsDocx(600_000), TestCorpus.DocxType),
            Timeout: TimeSpan.FromSeconds(150)),
    ];

    public static TheoryData<string, string> Table
    {
        get
        {
            var data = new TheoryData<string, string>();
            foreach (var item in All)
            {
                data.Add(item.Name, item.Expected);
            }
            return data;
        }
    }

    public static TheoryData<string> Names => [.. All.Select(item => item.Name)];

    private static HttpRequestMessage One(string fileName, byte[] content, string contentType) =>
        new MultipartBody().File(fileName, content, contentType).ToRequest();
}
