using System.Buffers.Binary;
using System.Text;
using MimeKit;
using MimeKit.Cryptography;

namespace Kmrl.Testing.Documents;

/// <summary>
/// Mail as real clients send it and a naive reader loses: a Japanese mail in ISO-2022-JP, an 8-bit Latin-1 body,
/// attachments inside Outlook's TNEF winmail.dat, opaque-signed and encrypted S/MIME (.p7m), UTF-16 text.
/// </summary>
public static class MailCases
{
    static MailCases() => Encoding.RegisterProvider(CodePagesEncodingProvider.Instance);

    private static MimeMessage Message(string from, string subject)
    {
        var message = new MimeMessage
        {
            Subject = subject,
            Date = new DateTimeOffset(2026, 11, 2, 10, 0, 0, TimeSpan.FromHours(5.5)),
            MessageId = MimeKit.Utils.MimeUtils.GenerateMessageId("kmrl.example"),
        };
        message.From.Add(MailboxAddress.Parse(from));
        message.To.Add(MailboxAddress.Parse("records@kochimetro.org"));
        return message;
    }

    public static byte[] Bytes(MimeMessage message)
    {
        using var memory = new MemoryStream();
        message.WriteTo(memory);
        return memory.ToArray();
    }

    /// <summary>A plain-text body in <paramref name="charset"/> (ISO-2022-JP, ISO-8859-1, ...), sent 7bit or 8bit as that charset needs.</summary>
    public static byte[] InCharset(string from, string subject, string body, string charset)
    {
        var message = Message(from, subject);
        var part = new TextPart("plain");
        part.SetText(Encoding.GetEncoding(charset), body);
        part.ContentTransferEncoding = charset.StartsWith("iso-2022", StringComparison.OrdinalIgnoreCase) ? ContentEncoding.SevenBit : ContentEncoding.EightBit;
        message.Body = part;
        return Bytes(message);
    }

    /// <summary>A mail with a text body and the given attachments (name, MIME type, bytes), base64-encoded.</summary>
    public static byte[] WithAttachments(string from, string subject, string body, params (string Name, string MimeType, byte[] Content)[] attachments)
    {
        var message = Message(from, subject);
        var mixed = new Multipart("mixed") { new TextPart("plain") { Text = body } };
        foreach (var (name, mimeType, content) in attachments)
        {
            mixed.Add(new MimePart(mimeType)
            {
                FileName = name,
                Content = new MimeContent(new MemoryStream(content)),
                ContentDisposition = new ContentDisposition(ContentDisposition.Attachment),
                ContentTransferEncoding = ContentEncoding.Base64,
            });
        }
        message.Body = mixed;
        return Bytes(message);
    }

    /// <summary>
    /// A TNEF stream (application/ms-tnef, "winmail.dat") as Outlook sends through Exchange, holding files as
    /// attachment attributes: attAttachRendData starts one, attAttachTitle names it, attAttachData is its bytes
    /// (MS-OXTNEF 2.1.3). Every attribute is level, id (type &lt;&lt; 16 | tag), length, data and a 16-bit checksum.
    /// </summary>
    public static byte[] Tnef(params (string Name, byte[] Content)[] files)
    {
        using var tnef = new MemoryStream();
        Span<byte> number = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(number, 0x223E9F78);
        tnef.Write(number);
        tnef.Write([0x01, 0x00]); // legacy key
        void Attribute(byte level, uint id, byte[] data)
        {
            Span<byte> head = stackalloc byte[9];
            head[0] = level;
            BinaryPrimitives.WriteUInt32LittleEndian(head[1..], id);
            BinaryPrimitives.WriteUInt32LittleEndian(head[5..], (uint)data.Length);
            tnef.Write(head);
            tnef.Write(data);
            ushort checksum = 0;
            foreach (var b in data) checksum = (ushort)(checksum + b);
            tnef.Write([(byte)checksum, (byte)(checksum >> 8)]);
        }
        Attribute(1, 0x00089006, [0x00, 0x00, 0x01, 0x00]); // attTnefVersion 0x00010000
        Attribute(1, 0x00069007, [0xE4, 0x04, 0, 0, 0, 0, 0, 0]); // attOemCodepage 1252
        foreach (var (name, content) in files)
        {
            Attribute(2, 0x00069002, [0x01, 0x00, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0]); // attAttachRendData: a file
            Attribute(2, 0x00018010, [.. Encoding.Latin1.GetBytes(name), 0]); // attAttachTitle
            Attribute(2, 0x0006800F, content); // attAttachData
        }
        return tnef.ToArray();
    }

    /// <summary>An Outlook/Exchange mail whose documents travel inside winmail.dat.</summary>
    public static byte[] WithTnef(string from, string subject, string body, params (string Name, byte[] Content)[] files) =>
        WithAttachments(from, subject, body, ("winmail.dat", "application/ms-tnef", Tnef(files)));

    /// <summary>
    /// An opaque-signed S/MIME message (application/pkcs7-mime; smime-type=signed-data, smime.p7m) whose signed
    /// content is a multipart with the attachments: the documents are only reachable by unwrapping the CMS.
    /// </summary>
    public static byte[] OpaqueSigned(string from, string subject, string body, params (string Name, string MimeType, byte[] Content)[] attachments)
    {
        var inner = MimeMessage.Load(new MemoryStream(WithAttachments(from, subject, body, attachments))).Body
            ?? throw new InvalidOperationException("The signed content has no body.");
        using var context = new TemporarySecureMimeContext();
        var signer = SelfSignedSigner(from);
        var message = Message(from, subject);
        message.Body = ApplicationPkcs7Mime.Sign(context, signer, inner);
        return Bytes(message);
    }

    /// <summary>
    /// A clear-signed S/MIME message (multipart/signed) as MimeKit signs it: the attachments in the signed multipart
    /// and a detached application/pkcs7-signature part, here named <paramref name="signatureName"/> (clients name it
    /// smime.p7s; a misnamed one, winmail.dat or smime.p7m, must still be taken for the signature it is). The name is
    /// set after signing: the signature covers the first part only, so it stays valid.
    /// </summary>
    public static byte[] ClearSigned(string from, string subject, string body, string signatureName, params (string Name, string MimeType, byte[] Content)[] attachments)
    {
        var inner = MimeMessage.Load(new MemoryStream(WithAttachments(from, subject, body, attachments))).Body
            ?? throw new InvalidOperationException("The signed content has no body.");
        using var context = new TemporarySecureMimeContext();
        var signed = MultipartSigned.Create(context, SelfSignedSigner(from), inner);
        var signature = (MimePart)signed[1];
        signature.FileName = signatureName;
        var message = Message(from, subject);
        message.Body = signed;
        return Bytes(message);
    }

    /// <summary>
    /// <see cref="OpaqueSigned"/> as some agents send it (RFC 8551 3.2.1): the CMS body typed
    /// application/octet-stream, recognisable only by its name smime.p7m.
    /// </summary>
    public static byte[] OpaqueSignedAsOctetStream(string from, string subject, string body, params (string Name, string MimeType, byte[] Content)[] attachments)
    {
        var message = MimeMessage.Load(new MemoryStream(OpaqueSigned(from, subject, body, attachments)));
        var opaque = message.Body as MimePart ?? throw new InvalidOperationException("The opaque-signed message has no CMS body.");
        message.Body = new MimePart("application", "octet-stream")
        {
            FileName = "smime.p7m",
            Content = opaque.Content,
            ContentDisposition = new ContentDisposition(ContentDisposition.Attachment) { FileName = "smime.p7m" },
            ContentTransferEncoding = ContentEncoding.Base64,
        };
        return Bytes(message);
    }

    /// <summary>An S/MIME message encrypted to a recipient certificate (enveloped-data): unreadable without its key.</summary>
    public static byte[] Encrypted(string from, string subject, string body)
    {
        using var context = new TemporarySecureMimeContext();
        var recipient = SelfSignedSigner("records@kochimetro.org");
        var message = Message(from, subject);
        message.Body = ApplicationPkcs7Mime.Encrypt(context, [new CmsRecipient(recipient.Certificate)], new TextPart("plain") { Text = body });
        return Bytes(message);
    }

    private static CmsSigner SelfSignedSigner(string address)
    {
        using var rsa = System.Security.Cryptography.RSA.Create(2048);
        var request = new System.Security.Cryptography.X509Certificates.CertificateRequest(
            $"CN={address}, E={address}", rsa, System.Security.Cryptography.HashAlgorithmName.SHA256, System.Security.Cryptography.RSASignaturePadding.Pkcs1);
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(1));
        var pfx = certificate.Export(System.Security.Cryptography.X509Certificates.X509ContentType.Pfx, "k");
        return new CmsSigner(new MemoryStream(pfx), "k");
    }

    /// <summary>Text saved as UTF-16 with its byte order mark, as Windows Notepad's "Unicode" does.</summary>
    public static byte[] Utf16(string text, bool bigEndian = false) =>
        (bigEndian ? Encoding.BigEndianUnicode : Encoding.Unicode).GetPreamble()
            .Concat((bigEndian ? Encoding.BigEndianUnicode : Encoding.Unicode).GetBytes(text)).ToArray();
}
