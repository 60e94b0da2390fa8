using System.Text;
using Kmrl.Connectors.Email.Imap;
using Kmrl.Connectors.Email.Tests.Support;
using Kmrl.Testing.Servers;
using MimeKit;

namespace Kmrl.Connectors.Email.Tests;

/// <summary>Real-world message shapes and what each one yields.</summary>
public sealed class CorpusTests(DovecotImapServer dovecot) : IClassFixture<DovecotImapServer>
{
    private const string Malayalam = "മെട്രോ റിപ്പോർട്ട് നവംബർ.pdf";

    private async Task<ContractRun> DeliverAndSyncAsync(string folder, params byte[][] messages)
    {
        await using var context = new ImapTestContext(dovecot);
        foreach (var message in messages)
        {
            await dovecot.DeliverAsync(context.User, message, folder);
        }
        return await SourceContract.RunAsync(context.Source(folder), null, EmailHost.Options());
    }

    private static byte[] Raw(MimeMessage message)
    {
        using var buffer = new MemoryStream();
        message.WriteTo(buffer);
        return buffer.ToArray();
    }

    [Fact]
    public async Task A_forwarded_mail_yields_the_attachments_inside_the_forwarded_message_and_its_own()
    {
        var pdf = Corpus.Bytes("inner-pdf", 20_000);
        var sheet = Corpus.Bytes("inner-sheet", 7_000);
        var note = Encoding.UTF8.GetBytes("Forwarding note: signal at Aluva — check വേഗത limit.\r\nLine two with = sign and a very long line that quoted-printable must soft-break because it is longer than seventy-six characters.\r\n");

        var result = await DeliverAndSyncAsync("Forwarded", Raw(Corpus.Forwarded(pdf, sheet, note)));

        Assert.Equal(["inspection.pdf", "readings.xlsx", "note.txt"], result.Documents.Select(d => d.FileName));
        Assert.Equal(["2.2", "2.3", "3"], result.Documents.Select(d => d.Metadata[EmailMetadataKeys.Part]));
        Assert.Equal(SourceContract.Sha256(pdf), result.Documents[0].Sha256);
        Assert.Equal(SourceContract.Sha256(sheet), result.Documents[1].Sha256);
        Assert.Equal(SourceContract.Sha256(note), result.Documents[2].Sha256);
        Assert.Equal("Track inspection report", result.Documents[0].Metadata[EmailMetadataKeys.ForwardedSubject]);
        Assert.Contains("pway@kmrl.example", result.Documents[0].Metadata[EmailMetadataKeys.ForwardedFrom], StringComparison.Ordinal);
        Assert.Equal("Fwd: Track inspection report", result.Documents[0].Metadata[EmailMetadataKeys.Subject]);
        Assert.Equal("quoted-printable", result.Documents[2].Metadata[EmailMetadataKeys.ContentTransferEncoding], ignoreCase: true);
    }

    [Fact]
    public async Task An_outlook_inline_image_with_a_name_is_a_document_and_an_unnamed_logo_is_not()
    {
        var image = Corpus.Bytes("photo", 12_345);
        var result = await DeliverAndSyncAsync("Outlook", Raw(Corpus.OutlookInlineImage(image, Corpus.Bytes("logo", 300))));

        var document = Assert.Single(result.Documents);
        Assert.Equal("image001.png", document.FileName);
        Assert.Equal("image/png", document.ContentType);
        Assert.Equal(SourceContract.Sha256(image), document.Sha256);
    }

    [Fact]
    public async Task An_attachment_in_multipart_mixed_inside_multipart_alternative_is_found()
    {
        var pdf = Corpus.Bytes("minutes", 9_000);
        var result = await DeliverAndSyncAsync("AppleMail", Raw(Corpus.MixedInsideAlternative(pdf)));

        var document = Assert.Single(result.Documents);
        Assert.Equal("minutes.pdf", document.FileName);
        Assert.Equal("2.2", document.Metadata[EmailMetadataKeys.Part]);
        Assert.Equal(SourceContract.Sha256(pdf), document.Sha256);
    }

    [Fact]
    public async Task Malayalam_file_names_are_decoded_from_rfc_2231_and_rfc_2047()
    {
        var rfc2231 = Corpus.Attachment(Malayalam, "application/pdf", Corpus.Bytes("ml1", 2000), names: ParameterEncodingMethod.Rfc2231);
        var rfc2047 = Corpus.Attachment("യോഗം.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            Corpus.Bytes("ml2", 2000), names: ParameterEncodingMethod.Rfc2047);
        var raw = Raw(Corpus.WithAttachments("മലയാളം", rfc2231, rfc2047));
        var text = Encoding.ASCII.GetString(raw);
        // The wire really carries the encoded forms: RFC 2231 with continuations (filename*0*=utf-8''...) and RFC 2047 (=?utf-8?b?...?=).
        Assert.Contains("filename*0*=utf-8''", text, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("filename=\"=?utf-8?", text, StringComparison.OrdinalIgnoreCase);

        var result = await DeliverAndSyncAsync("Malayalam", raw);

        Assert.Equal([Malayalam, "യോഗം.docx"], result.Documents.Select(d => d.FileName));
        Assert.Equal("മലയാളം", result.Documents[0].Metadata[EmailMetadataKeys.Subject]);
    }

    [Fact]
    public async Task Base64_quoted_printable_and_binary_parts_are_decoded_to_their_exact_bytes()
    {
        var binary = Corpus.Bytes("b64", 100_003);
        var csv = Encoding.UTF8.GetBytes(string.Join("\r\n", Enumerable.Range(0, 500).Select(i => $"{i},സ്റ്റേഷൻ {i},=ok,{new string('x', 90)}")));
        var plain = Encoding.ASCII.GetBytes("7bit plain attachment\r\n");
        var message = Corpus.WithAttachments("encodings",
            Corpus.Attachment("data.bin", "application/octet-stream", binary, ContentEncoding.Base64),
            Corpus.Attachment("stations.csv", "text/csv", csv, ContentEncoding.QuotedPrintable),
            Corpus.Attachment("plain.txt", "text/plain", plain, ContentEncoding.SevenBit));

        var result = await DeliverAndSyncAsync("Encodings", Raw(message));

        Assert.Equal([SourceContract.Sha256(binary), SourceContract.Sha256(csv), SourceContract.Sha256(plain)], result.Documents.Select(d => d.Sha256));
        Assert.Equal([(long)binary.Length, csv.Length, plain.Length], result.Documents.Select(d => d.Length));
        // The size is only announced where the encoded size is the real size.
        Assert.Equal([null, null, (long?)plain.Length], result.Documents.Select(d => d.Size));
    }

    [Fact]
    public async Task A_message_without_documents_yields_only_a_checkpoint()
    {
        var result = await DeliverAndSyncAsync("NoDocuments", Raw(Corpus.NoDocuments()));

        Assert.Empty(result.Documents);
        Assert.Equal(1, result.CheckpointsStored);
        Assert.Equal(1u, result.CheckpointAs<ImapCheckpoint>()!.LastUid);
    }

    [Fact]
    public async Task Malformed_mime_yields_what_the_server_can_delimit_decoded_leniently_and_never_stops_the_folder()
    {
        var result = await DeliverAndSyncAsync("Malformed",
            Corpus.MalformedUnterminatedWithJunkBase64("junk@kmrl.example"),
            Corpus.MalformedMultipartWithoutBoundary("noboundary@kmrl.example"),
            Raw(Corpus.WithAttachments("after", Corpus.Attachment("after.pdf", "application/pdf", Corpus.Bytes("after", 500)))));

        // Unterminated multipart: the part runs to the end of the message; junk characters are skipped by the base64 decoder.
        Assert.Equal(["scan.pdf", "after.pdf"], result.Documents.Select(d => d.FileName));
        Assert.Equal(SourceContract.Sha256(Encoding.ASCII.GetBytes("%PDF-1.4\n%%EOF\n")), result.Documents[0].Sha256);
        // multipart without boundary: one opaque body, nothing to split out — no document, but the checkpoint moves on.
        Assert.Equal(3, result.CheckpointsStored);
        Assert.Equal(3u, result.CheckpointAs<ImapCheckpoint>()!.LastUid);
    }

    [Fact]
    public async Task A_scanner_mail_whose_whole_body_is_the_pdf_yields_section_1()
    {
        var pdf = Corpus.Bytes("scanner", 30_000);
        var message = Corpus.Base("Scan from MFP-3");
        message.Body = Corpus.Attachment("scan0001.pdf", "application/pdf", pdf);

        var result = await DeliverAndSyncAsync("Scanner", Raw(message));

        var document = Assert.Single(result.Documents);
        Assert.Equal("scan0001.pdf", document.FileName);
        Assert.Equal("1", document.Metadata[EmailMetadataKeys.Part]);
        Assert.Equal(SourceContract.Sha256(pdf), document.Sha256);
    }

    [Fact]
    public async Task A_forwarded_message_whose_body_is_a_single_attachment_is_recursed_into()
    {
        var pdf = Corpus.Bytes("inner-single", 8_000);
        var original = Corpus.Base("Scan");
        original.Body = Corpus.Attachment("inner.pdf", "application/pdf", pdf);
        var forward = Corpus.Base("Fwd: Scan");
        forward.Body = new Multipart("mixed")
        {
            new TextPart("plain") { Text = "see below" },
            new MessagePart { Message = original },
        };

        var result = await DeliverAndSyncAsync("ForwardedSingle", Raw(forward));

        var document = Assert.Single(result.Documents);
        Assert.Equal("inner.pdf", document.FileName);
        Assert.Equal("2.1", document.Metadata[EmailMetadataKeys.Part]);
        Assert.Equal(SourceContract.Sha256(pdf), document.Sha256);
        Assert.Equal("Scan", document.Metadata[EmailMetadataKeys.ForwardedSubject]);
    }
}
