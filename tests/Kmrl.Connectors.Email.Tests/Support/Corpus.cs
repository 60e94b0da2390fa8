using System.Text;
using MimeKit;
using MimeKit.Text;

namespace Kmrl.Connectors.Email.Tests.Support;

/// <summary>Real-world message shapes, built with MimeKit the way mail clients build them.</summary>
public static class Corpus
{
    public static byte[] Bytes(string seed, int length)
    {
        // Deterministic, incompressible-looking content so hashes prove the exact bytes came through.
        var random = new Random(seed.GetHashCode(StringComparison.Ordinal) ^ length);
        var bytes = new byte[length];
        random.NextBytes(bytes);
        return bytes;
    }

    public static MimeMessage Base(string subject, string? messageId = null)
    {
        var message = new MimeMessage();
        message.From.Add(new MailboxAddress("Ops Desk", "ops@kmrl.example"));
        message.To.Add(new MailboxAddress("Records", "records@kmrl.example"));
        message.Cc.Add(new MailboxAddress("Finance", "finance@kmrl.example"));
        message.Subject = subject;
        message.Date = new DateTimeOffset(2026, 11, 20, 10, 30, 0, TimeSpan.FromHours(5.5));
        message.MessageId = messageId ?? MimeKit.Utils.MimeUtils.GenerateMessageId("kmrl.example");
        return message;
    }

    public static MimePart Attachment(string fileName, string mimeType, byte[] content, ContentEncoding encoding = ContentEncoding.Base64,
        ParameterEncodingMethod names = ParameterEncodingMethod.Rfc2231)
    {
        var part = new MimePart(mimeType)
        {
            Content = new MimeContent(new MemoryStream(content)),
            ContentDisposition = new ContentDisposition(ContentDisposition.Attachment),
            ContentTransferEncoding = encoding,
            FileName = fileName,
        };
        foreach (var parameter in part.ContentDisposition.Parameters.Concat(part.ContentType.Parameters))
        {
            parameter.EncodingMethod = names;
        }
        return part;
    }

    public static MimeMessage WithAttachments(string subject, params MimePart[] attachments)
    {
        var message = Base(subject);
        var mixed = new Multipart("mixed") { new TextPart(TextFormat.Plain) { Text = "Please find attached." } };
        foreach (var attachment in attachments)
        {
            mixed.Add(attachment);
        }
        message.Body = mixed;
        return message;
    }

    /// <summary>A forwarded mail: the original travels as message/rfc822 with its own attachments.</summary>
    public static MimeMessage Forwarded(byte[] innerPdf, byte[] innerSheet, byte[] outerNote)
    {
        var original = WithAttachments("Track inspection report",
            Attachment("inspection.pdf", "application/pdf", innerPdf),
            Attachment("readings.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", innerSheet));
        original.From.Clear();
        original.From.Add(new MailboxAddress("Permanent Way", "pway@kmrl.example"));

        var forward = Base("Fwd: Track inspection report");
        forward.Body = new Multipart("mixed")
        {
            new TextPart(TextFormat.Plain) { Text = "FYI, see the forwarded mail." },
            new MessagePart { Message = original, ContentDisposition = new ContentDisposition(ContentDisposition.Attachment) },
            Attachment("note.txt", "text/plain", outerNote, ContentEncoding.QuotedPrintable),
        };
        return forward;
    }

    /// <summary>Outlook's shape: related{alternative{plain, html}, named inline image}, plus an unnamed inline logo.</summary>
    public static MimeMessage OutlookInlineImage(byte[] namedImage, byte[] unnamedLogo)
    {
        var message = Base("Site photo");
        var named = new MimePart("image", "png")
        {
            Content = new MimeContent(new MemoryStream(namedImage)),
            ContentDisposition = new ContentDisposition(ContentDisposition.Inline) { FileName = "image001.png" },
            ContentTransferEncoding = ContentEncoding.Base64,
            ContentId = "image001.png@01DB0000.12345670",
        };
        named.ContentType.Name = "image001.png";
        var logo = new MimePart("image", "gif")
        {
            Content = new MimeContent(new MemoryStream(unnamedLogo)),
            ContentTransferEncoding = ContentEncoding.Base64,
            ContentId = "logo@kmrl",
        };
        message.Body = new MultipartRelated
        {
            new MultipartAlternative
            {
                new TextPart(TextFormat.Plain) { Text = "Photo below." },
                new TextPart(TextFormat.Html) { Text = "<p>Photo below.</p><img src=\"cid:image001.png@01DB0000.12345670\"><img src=\"cid:logo@kmrl\">" },
            },
            named,
            logo,
        };
        return message;
    }

    /// <summary>Apple Mail's shape: alternative{plain, mixed{html, attachment, html}}.</summary>
    public static MimeMessage MixedInsideAlternative(byte[] pdf)
    {
        var message = Base("Minutes");
        message.Body = new MultipartAlternative
        {
            new TextPart(TextFormat.Plain) { Text = "Minutes attached." },
            new Multipart("mixed")
            {
                new TextPart(TextFormat.Html) { Text = "<p>Minutes attached.</p>" },
                Attachment("minutes.pdf", "application/pdf", pdf),
                new TextPart(TextFormat.Html) { Text = "<p>Regards</p>" },
            },
        };
        return message;
    }

    public static MimeMessage NoDocuments()
    {
        var message = Base("Lunch?");
        message.Body = new MultipartAlternative
        {
            new TextPart(TextFormat.Plain) { Text = "Lunch at 1?" },
            new TextPart(TextFormat.Html) { Text = "<p>Lunch at 1?</p>" },
        };
        return message;
    }

    /// <summary>Multipart whose closing boundary never comes and whose base64 carries junk characters.</summary>
    public static byte[] MalformedUnterminatedWithJunkBase64(string messageId) => Encoding.ASCII.GetBytes(
        "From: scanner@kmrl.example\r\nTo: records@kmrl.example\r\nSubject: scan\r\n" +
        $"Message-ID: <{messageId}>\r\nMIME-Version: 1.0\r\n" +
        "Content-Type: multipart/mixed; boundary=\"XYZ\"\r\n\r\n" +
        "--XYZ\r\nContent-Type: text/plain\r\n\r\nscan attached\r\n" +
        "--XYZ\r\nContent-Type: application/pdf; name=\"scan.pdf\"\r\nContent-Disposition: attachment; filename=\"scan.pdf\"\r\n" +
        "Content-Transfer-Encoding: base64\r\n\r\n" +
        "JVBERi0x!!LjQK\r\nJSVF\u00a7T0YK\r\n");

    /// <summary>multipart/mixed with no boundary parameter: nothing can be split out of it.</summary>
    public static byte[] MalformedMultipartWithoutBoundary(string messageId) => Encoding.ASCII.GetBytes(
        "From: scanner@kmrl.example\r\nTo: records@kmrl.example\r\nSubject: broken\r\n" +
        $"Message-ID: <{messageId}>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed\r\n\r\n" +
        "--XYZ\r\nContent-Type: application/pdf; name=\"lost.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQK\r\n--XYZ--\r\n");
}
