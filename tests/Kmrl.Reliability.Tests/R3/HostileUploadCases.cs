using System.Text;
using Kmrl.Testing.Documents;

namespace Kmrl.Reliability.Tests.R3;

/// <summary>
/// Issue 18's hostile documents: each one took document-api down or held a core for minutes. They run against
/// document-api as a child process (<see cref="HostileUploadFixture"/>), because a stack overflow ends the process
/// it happens in, and a test host is no place for one. Outcomes as in <see cref="UploadCases"/>, plus
/// <c>service-died:exit-N</c> when the upload ended the service and <c>timed-out</c> when it never finished.
/// </summary>
public static class HostileUploadCases
{
    public const int MaxFileBytes = 4 * 1024 * 1024;

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
        // Under the zip caps (ratio ~150, ~80 MB expanded): a DOM of well over the worker's 768 MiB heap, but read as a
        // stream it is 30 million characters of text; the summary and key fields take the first MaxAnalysedChars.
        new("docx-550-kb-1.5-million-paragraphs", "processed", () => One("many.docx", HostileFiles.ManyParagraphsDocx(1_500_000), TestCorpus.DocxType)),
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
