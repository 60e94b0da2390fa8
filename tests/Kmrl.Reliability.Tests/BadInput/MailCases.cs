using System.Text;

namespace Kmrl.Reliability.Tests.BadInput;

/// <summary>
/// The MIME corpus for email-connector (delivered into real Dovecot). Outcomes: <c>discovered</c>,
/// <c>ignored:no-document</c> (no part is a document: the checkpoint advances, nothing is published),
/// <c>skipped:&lt;filter&gt;</c>, <c>dead-lettered:unreadable-message</c> (the client cannot read the message; the
/// folder goes on past it). The connector does not judge content: a truncated attachment is handed on and
/// document-api's validate stage decides; an empty one has nothing to judge and the host records it as skipped
/// (<c>skipped:empty-file</c>). MimeKit already drops a path from a name; control characters are handed
/// on as the mail says, and document-api makes the name safe at intake (SafeFileName).
/// </summary>
public static class MailCases
{
    public const int MaxSizeBytes = 64 * 1024;

    public static IReadOnlyList<MailCase> All { get; } =
    [
        new("mime-multipart-without-boundary", "ignored:no-document", Mail("mime-multipart-without-boundary", "multipart/mixed",
            "--x\r\nContent-Type: application/pdf; name=\"noboundary.pdf\"\r\nContent-Disposition: attachment; filename=\"noboundary.pdf\"\r\n\r\n%PDF-1.4\r\n--x--\r\n")),
        new("mime-truncated-base64", "discovered", Mail("mime-truncated-base64", "multipart/mixed; boundary=\"b1\"",
            "--b1\r\nContent-Type: text/plain\r\n\r\nSee attached.\r\n--b1\r\nContent-Type: application/pdf; name=\"cut.pdf\"\r\nContent-Disposition: attachment; filename=\"cut.pdf\"\r\n" +
            "Content-Transfer-Encoding: base64\r\n\r\n" + Convert.ToBase64String(Encoding.ASCII.GetBytes("%PDF-1.4\n% R3 truncated base64 attachment body\n"))[..37] + "\r\n")),
        new("mime-base64-with-junk-characters", "discovered", Attachment("mime-base64-with-junk-characters", "junk.pdf", "application/pdf",
            "JVBER!!i0xLjQK***JSBSMyBqdW5r\r\nIGJhc2U2NAo=\r\n")),
        // Undeclared 8-bit header bytes that are not UTF-8 are read as Latin-1 (MimeKit's fallback), not dropped.
        new("mime-invalid-utf8-headers", "discovered:name=caf\u00C3(.pdf", Raw("mime-invalid-utf8-headers",
            [.. "Subject: Caf"u8.ToArray(), 0xC3, 0x28, 0xFF, .. "\r\n"u8.ToArray()],
            "multipart/mixed; boundary=\"b1\"",
            [.. "--b1\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename=\"caf"u8.ToArray(), 0xC3, 0x28,
                .. ".pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\n"u8.ToArray(), .. Encoding.ASCII.GetBytes(Pdf("invalid utf8") + "\r\n--b1--\r\n")]), ReportName: true),
        new("mime-path-traversal-name", "discovered:name=passwd.pdf", Attachment("mime-path-traversal-name", "../../../etc/passwd.pdf", "application/pdf", Pdf("traversal")), ReportName: true),
        new("mime-crlf-in-name-rfc2231", "discovered:name=evil\\u000D\\u000Aname.pdf", Attachment("mime-crlf-in-name-rfc2231", null, "application/pdf", Pdf("crlf"),
            disposition: "attachment; filename*=utf-8''evil%0D%0Aname.pdf"), ReportName: true),
        new("mime-very-long-name-rfc2231-continuations", "discovered:name-length=306", Attachment("mime-very-long-name-rfc2231-continuations", null, "application/pdf", Pdf("long"),
            disposition: "attachment;\r\n " + string.Join(";\r\n ", Enumerable.Range(0, 10).Select(i => $"filename*{i}=\"{new string((char)('a' + i), 30)}\"")) + ";\r\n filename*10=\"rt.pdf\""), ReportName: true),
        new("mime-executable-attachment", "skipped:extension-not-allowed", Attachment("mime-executable-attachment", "invoice.exe", "application/octet-stream", Convert.ToBase64String(new byte[300]))),
        new("mime-attachment-over-size-limit", "skipped:too-large", Attachment("mime-attachment-over-size-limit", "scan-huge.pdf", "application/pdf",
            Convert.ToBase64String(new byte[MaxSizeBytes + 1024]), lineLength: 76)),
        new("mime-zero-byte-attachment", "skipped:empty-file", Attachment("mime-zero-byte-attachment", "empty.pdf", "application/pdf", "")),
        new("mime-no-attachment", "ignored:no-document", Mail("mime-no-attachment", "text/plain; charset=utf-8", "Only a note, no document.\r\n")),
        // Over 4 KiB, Dovecot sends the Subject as a literal in ENVELOPE and MailKit refuses it (issue 18): the message
        // is dead-lettered and the folder goes on, so the good mail after it still arrives.
        new("mime-subject-over-4-kib", "dead-lettered:unreadable-message", Raw("mime-subject-over-4-kib",
            Encoding.ASCII.GetBytes("Subject: R3 " + string.Join("\r\n ", Enumerable.Repeat("tender-clarification-annexure", 180)) + "\r\n"),
            "multipart/mixed; boundary=\"b1\"",
            Encoding.ASCII.GetBytes("--b1\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename=\"huge-subject.pdf\"\r\n" +
                "Content-Transfer-Encoding: base64\r\n\r\n" + Pdf("huge subject") + "\r\n--b1--\r\n"))),
        // A Content-Type without a subtype: Dovecot gives it as "/", which the host refused as a content type no allow
        // list holds, so the file never reached the pipeline (issue 18). Declared application/octet-stream, its name decides.
        new("mime-content-type-without-subtype", "discovered", Mail("mime-content-type-without-subtype", "multipart/mixed; boundary=\"b1\"",
            "--b1\r\nContent-Type: text/plain\r\n\r\nCircular attached.\r\n--b1\r\nContent-Type: application-pdf; name=\"no-subtype.pdf\"\r\n" +
            "Content-Transfer-Encoding: base64\r\n\r\n" + Pdf("no subtype") + "\r\n--b1--\r\n")),
        new("mime-good-attachment", "discovered", Attachment("mime-good-attachment", "signal-drawing.pdf", "application/pdf", Pdf("good"))),
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

    private static string Pdf(string label) => Convert.ToBase64String(Encoding.ASCII.GetBytes($"%PDF-1.4\n% R3 mail case {label}\n%%EOF\n"));

    private static byte[] Attachment(string name, string? fileName, string contentType, string base64Body, string? disposition = null, int lineLength = 0)
    {
        if (lineLength > 0)
        {
            base64Body = string.Join("\r\n", base64Body.Chunk(lineLength).Select(c => new string(c)));
        }
        return Mail(name, "multipart/mixed; boundary=\"b1\"",
            "--b1\r\nContent-Type: text/plain\r\n\r\nPlease file the attachment.\r\n" +
            $"--b1\r\nContent-Type: {contentType}\r\nContent-Disposition: {disposition ?? $"attachment; filename=\"{fileName}\""}\r\n" +
            $"Content-Transfer-Encoding: base64\r\n\r\n{base64Body}\r\n--b1--\r\n");
    }

    private static byte[] Mail(string name, string contentType, string body) =>
        Raw(name, Encoding.ASCII.GetBytes($"Subject: R3 {name}\r\n"), contentType, Encoding.UTF8.GetBytes(body));

    private static byte[] Raw(string name, byte[] subjectLine, string contentType, byte[] body) =>
    [
        .. Encoding.ASCII.GetBytes($"From: Signalling <signalling@kmrl.example>\r\nTo: records@kmrl.example\r\nMessage-ID: <{name}@r3.kmrl>\r\nDate: Mon, 02 Nov 2026 10:00:00 +0530\r\n"),
        .. subjectLine,
        .. Encoding.ASCII.GetBytes($"MIME-Version: 1.0\r\nContent-Type: {contentType}\r\n\r\n"),
        .. body,
    ];
}
