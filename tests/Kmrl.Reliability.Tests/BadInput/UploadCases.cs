using System.IO.Compression;
using System.Text;
using Kmrl.Reliability.Tests.Support;
using Kmrl.Testing.Documents;

namespace Kmrl.Reliability.Tests.BadInput;

/// <summary>
/// The bad-input corpus for document-api, generated here, each with the outcome the service is designed to give:
/// <c>http:NNN</c> (refused at upload, nothing kept), <c>rejected:&lt;reason&gt;</c> (accepted, then refused by the
/// workflow's validate stage with that named reason), <c>processed</c>, and <c>:name=...</c> where the stored file
/// name is the point. Reasons are the service's own (services/Kmrl.DocumentApi/README.md, ContentSniffer).
/// </summary>
public static class UploadCases
{
    /// <summary>Configured on the app under test so that "over the size limit" costs 1 MiB, not 100.</summary>
    public const int MaxFileBytes = 1024 * 1024;

    public static IReadOnlyList<UploadCase> All { get; } =
    [
        // ---- refused at the door (ProblemDetails, nothing stored) ----
        new("over-size-limit", "http:413", () => One("big.pdf", Padded(Pdf("big"), MaxFileBytes + 1))),
        new("disallowed-content-type", "http:415", () => One("setup.pdf", Pdf("exe type"), "application/x-msdownload")),
        new("non-multipart-json-body", "http:415", () => MultipartBody.Request("{\"file\":\"JVBERi0=\"}"u8.ToArray(), "application/json")),
        new("no-content-type", "http:415", () => new HttpRequestMessage(HttpMethod.Post, "/documents") { Content = new ByteArrayContent(Pdf("bare")) }),
        new("multipart-without-boundary", "http:400", () => MultipartBody.Request(new MultipartBody().File("a.pdf", Pdf("no boundary")).ToArray(), "multipart/form-data")),
        new("malformed-mime-truncated-multipart", "http:400", () => new MultipartBody().File("cut.pdf", Pdf("truncated multipart")).ToRequest(close: false)),
        new("malformed-mime-garbage-body", "http:400", () => MultipartBody.Request("this is not a multipart body at all"u8.ToArray(), $"multipart/form-data; boundary={MultipartBody.Boundary}")),
        new("empty-multipart", "http:400", () => new MultipartBody().ToRequest()),
        new("only-metadata-no-file", "http:400", () => new MultipartBody().Field("metadata", "{\"department\":\"finance\"}").ToRequest()),
        new("too-many-files", "http:400", () => Many(21)),
        new("bad-metadata-json", "http:400", () => new MultipartBody().Field("metadata", "{\"department\": finance").File("m.pdf", Pdf("bad metadata")).ToRequest()),
        new("metadata-json-array", "http:400", () => new MultipartBody().Field("metadata", "[1,2,3]").File("m.pdf", Pdf("array metadata")).ToRequest()),
        // One 64 KB form-field budget per request (issue 18): past it the request is too large, 413.
        new("metadata-over-64kb", "http:413", () => new MultipartBody().Field("metadata", "{\"note\":\"" + new string('x', 70_000) + "\"}").File("m.pdf", Pdf("big metadata")).ToRequest()),
        // The budget is the request's, not each section's: 60 sections of 60 KB (3.5 MiB) were all accepted.
        new("metadata-60-sections-of-60kb", "http:413", () => Enumerable.Range(0, 60)
            .Aggregate(new MultipartBody(), (body, _) => body.Field("metadata", "{\"note\":\"" + new string('x', 60 * 1024) + "\"}"))
            .File("m.pdf", Pdf("metadata in sections")).ToRequest()),
        new("file-without-name", "http:400", () => new MultipartBody().File("filename=\"\"", "application/pdf", Pdf("nameless")).ToRequest()),
        new("part-without-content-disposition", "http:400", () => new MultipartBody().Part("Content-Type: application/pdf\r\n"u8.ToArray(), Pdf("no disposition")).ToRequest()),
        new("huge-request-header", "http:431", RawRequest: server => RawHttp.Upload(server, DocumentApiHost.UploadReadKey,
            Encoding.ASCII.GetBytes("X-Padding: " + new string('a', 64 * 1024) + "\r\n"), new MultipartBody().File("h.pdf", Pdf("huge header")).ToArray())),
        new("invalid-utf8-request-header", "http:400", RawRequest: server => RawHttp.Upload(server, DocumentApiHost.UploadReadKey,
            [.. "X-Note: caf"u8.ToArray(), 0xC3, 0x28, 0xFF, .. "\r\n"u8.ToArray()], new MultipartBody().File("u.pdf", Pdf("bad header bytes")).ToArray())),

        // ---- accepted, refused by the validate stage with a named reason ----
        new("encrypted-pdf", "rejected:encrypted-pdf", () => One("tender.pdf", TestCorpus.EncryptedPdf())),
        new("zip-bomb-docx", "rejected:zip-bomb", () => One("bomb.docx", TestCorpus.ZipBombDocx(48L * 1024 * 1024), TestCorpus.DocxType)),
        new("password-protected-office", "rejected:password-protected-office", () => One("salary.docx", TestCorpus.PasswordProtectedOffice(), TestCorpus.DocxType)),
        new("corrupt-zip-docx", "rejected:corrupt-archive", () => One("broken.docx", CorruptZip(), TestCorpus.DocxType)),
        new("plain-zip-as-docx", "rejected:type-mismatch", () => One("archive.docx", TestCorpus.PlainZip(), TestCorpus.DocxType)),
        new("zero-byte-file", "rejected:empty-file", () => One("empty.pdf", [])),
        new("wrong-magic-png-as-pdf", "rejected:type-mismatch", () => One("scan.pdf", Png())),
        new("docx-declared-as-pdf", "rejected:type-mismatch", () => One("letter.pdf", TestCorpus.Docx("A letter about the Kaloor station lift"))),
        new("docx-with-pdf-extension-octet-stream", "rejected:type-mismatch", () => One("drawing.pdf", TestCorpus.Docx("Drawing register"), "application/octet-stream")),
        new("polyglot-jpeg-with-pdf-inside", "rejected:type-mismatch", () => One("photo.pdf", [0xFF, 0xD8, 0xFF, 0xE0, .. Pdf("polyglot")])),
        new("executable-as-octet-stream", "rejected:unsupported-type", () => One("setup.exe", Executable(), "application/octet-stream")),
        new("binary-declared-text", "rejected:type-mismatch", () => One("notes.txt", Executable(), "text/plain")),
        new("base64-transfer-encoded-part", "rejected:type-mismatch", () => new MultipartBody().Part(
            "Content-Disposition: form-data; name=\"file\"; filename=\"b64.pdf\"\r\nContent-Type: application/pdf\r\nContent-Transfer-Encoding: base64\r\n"u8.ToArray(),
            Encoding.ASCII.GetBytes(Convert.ToBase64String(Pdf("base64 part")))).ToRequest()),
        new("truncated-pdf", "rejected:extract-failed", () => One("cut.pdf", Pdf("truncated pdf file")[..120])),

        // ---- accepted and processed: what a name or a feature may not change ----
        new("pdf-with-javascript-open-action", "processed", () => One("form.pdf",
            HandMadePdf.Build("R3 case javascript: inspection form for Edappally station", "/OpenAction << /S /JavaScript /JS (app.alert\\(1\\);) >> "))),
        new("legacy-word-doc-without-a-readable-directory", "rejected:extract-failed", () => One("minutes.doc", TestCorpus.LegacyWord(), "application/msword")),
        new("path-traversal-name", "processed:name=passwd.pdf", () => One("../../../etc/passwd.pdf", Pdf("traversal")), ReportName: true),
        new("windows-path-traversal-name", "processed:name=win.ini.pdf", () => One("..\\\\..\\\\windows\\\\win.ini.pdf", Pdf("windows traversal")), ReportName: true),
        new("absolute-path-name", "processed:name=report.pdf", () => One("/var/lib/kmrl/report.pdf", Pdf("absolute")), ReportName: true),
        new("control-characters-in-name", "processed:name=bell-tab.pdf", () => Star("bell%07-%01tab%09.pdf", Pdf("control chars")), ReportName: true),
        new("crlf-in-name", "processed:name=a-b.pdf", () => Star("a%0D%0A-b.pdf", Pdf("crlf name")), ReportName: true),
        new("nul-in-name", "processed:name=nul.pdf", () => Star("nul%00.pdf", Pdf("nul name")), ReportName: true),
        new("rtl-override-in-name", "processed:name=invoicefdp.exe.pdf", () => Star("invoice%E2%80%AEfdp.exe.pdf", Pdf("rtl override")), ReportName: true),
        new("malayalam-name", "processed:name=സർക്കുലർ.pdf", () => Star("%E0%B4%B8%E0%B5%BC%E0%B4%95%E0%B5%8D%E0%B4%95%E0%B5%81%E0%B4%B2%E0%B5%BC.pdf", Pdf("malayalam name")), ReportName: true),
        new("invalid-utf8-in-name", "processed:name=caf\uFFFD(.pdf", () => new MultipartBody().Part(
            [.. "Content-Disposition: form-data; name=\"file\"; filename=\"caf"u8.ToArray(), 0xC3, 0x28, .. ".pdf\"\r\nContent-Type: application/pdf\r\n"u8.ToArray()],
            Pdf("invalid utf8 name")).ToRequest(), ReportName: true),
        // Names over 255 UTF-8 bytes are cut between whole characters, the extension kept (issue 17).
        new("very-long-name", "processed:name-length=255", () => One(new string('n', 300) + ".pdf", Pdf("long name")), ReportName: true),
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

    /// <summary>A valid PDF whose bytes differ per case, so no case is a duplicate of another.</summary>
    public static byte[] Pdf(string label) => HandMadePdf.Build($"R3 case {label}: monthly maintenance report for the Aluva depot");

    private static HttpRequestMessage One(string fileName, byte[] content, string contentType = "application/pdf") =>
        new MultipartBody().File(fileName, content, contentType).ToRequest();

    /// <summary>A file name sent only as RFC 5987 <c>filename*</c> (percent-encoded UTF-8), which can carry any byte.</summary>
    private static HttpRequestMessage Star(string percentEncoded, byte[] content) =>
        new MultipartBody().File($"filename*=UTF-8''{percentEncoded}", "application/pdf", content).ToRequest();

    private static HttpRequestMessage Many(int count)
    {
        var body = new MultipartBody();
        for (var i = 0; i < count; i++)
        {
            body.File($"many-{i}.pdf", Pdf("many " + i));
        }
        return body.ToRequest();
    }

    private static byte[] Padded(byte[] pdf, int size)
    {
        var padded = new byte[size];
        pdf.CopyTo(padded, 0);
        return padded;
    }

    private static byte[] Png() => [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, .. Encoding.ASCII.GetBytes("IHDR not really an image")];

    private static byte[] Executable() => [0x4D, 0x5A, 0x90, 0x00, 0x03, 0x00, 0x00, 0x00, 0x04, 0x00, .. new byte[200]];

    /// <summary>A docx whose central directory is cut off: the local header is there, the rest is junk.</summary>
    private static byte[] CorruptZip()
    {
        var docx = TestCorpus.Docx("Corrupt archive test");
        var cut = docx[..(docx.Length / 2)];
        return [.. cut, .. Enumerable.Repeat((byte)0x5A, 64)];
    }
}
