using Kmrl.DocumentApi.Extensions;
using Kmrl.DocumentApi.Processing;

namespace Kmrl.DocumentApi.Tests.Processing;

/// <summary>
/// What the bytes say a file is (issue 17): RTF is not plain text, OpenDocument and Outlook .msg have kinds of their
/// own, mail is known by its header block whatever its charset, UTF-16 text with a byte order mark is text, and an
/// impostor under a declared type is a type mismatch.
/// </summary>
public sealed class FormatSniffingTests
{
    private static ValidationResult Validate(byte[] bytes, string fileName, string contentType)
    {
        using var content = new MemoryStream(bytes);
        return new ContentSniffer(new DocumentProcessingOptions()).Validate(content, contentType, fileName);
    }

    [Fact]
    public void Rtf_is_sniffed_as_rtf_not_as_plain_text()
    {
        var result = Validate(OfficeCases.Rtf("Tender notice"), "notice.rtf", "application/rtf");

        Assert.True(result.Accepted);
        Assert.Equal(DocumentKind.Rtf, result.Kind);
    }

    [Fact]
    public void Rtf_under_a_txt_name_is_a_type_mismatch_not_text()
    {
        var result = Validate(OfficeCases.Rtf("Tender notice"), "notice.txt", "text/plain");

        Assert.Equal(RejectionReasons.TypeMismatch, result.Reason);
        Assert.Equal(DocumentKind.Rtf, result.Kind);
    }

    [Theory]
    [InlineData("application/vnd.oasis.opendocument.text", "minutes.odt", DocumentKind.Odt)]
    [InlineData("application/vnd.oasis.opendocument.spreadsheet", "stock.ods", DocumentKind.Ods)]
    [InlineData("application/vnd.oasis.opendocument.presentation", "board.odp", DocumentKind.Odp)]
    public void An_opendocument_package_is_known_by_its_mimetype_entry(string mimeType, string fileName, DocumentKind expected)
    {
        var result = Validate(OoxmlCases.OpenDocument(mimeType, "<office:document-content xmlns:office=\"urn:oasis:names:tc:opendocument:xmlns:office:1.0\"/>"), fileName, mimeType);

        Assert.True(result.Accepted, result.Detail);
        Assert.Equal(expected, result.Kind);
    }

    [Fact]
    public void An_ooxml_package_without_content_types_is_corrupt_ooxml_not_unsupported()
    {
        var result = Validate(OoxmlCases.WithoutEntry(TestCorpus.Docx("Lost its [Content_Types].xml"), "[Content_Types].xml"), "letter.docx", TestCorpus.DocxType);

        Assert.Equal(RejectionReasons.CorruptOoxml, result.Reason);
        Assert.Equal(DocumentKind.Docx, result.Kind);
    }

    [Fact]
    public void A_windows_executable_declared_as_a_pdf_is_a_type_mismatch()
    {
        byte[] executable = [(byte)'M', (byte)'Z', 0x90, 0x00, 0x03, 0x00, 0x00, 0x00, 0x04, 0x00, .. new byte[502]];

        var result = Validate(executable, "invoice.pdf", TestCorpus.Pdf);

        Assert.Equal(RejectionReasons.TypeMismatch, result.Reason);
        Assert.Contains("matches no supported type", result.Detail);
    }

    [Fact]
    public void Random_bytes_named_docx_are_a_type_mismatch_and_undeclared_random_bytes_unsupported()
    {
        var noise = new byte[4096];
        new Random(17).NextBytes(noise);
        noise[0] = 0;

        Assert.Equal(RejectionReasons.TypeMismatch, Validate(noise, "report.docx", "application/octet-stream").Reason);
        Assert.Equal(RejectionReasons.UnsupportedType, Validate(noise, "blob.bin", "application/octet-stream").Reason);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Utf16_text_with_a_byte_order_mark_is_text(bool bigEndian)
    {
        var result = Validate(MailCases.Utf16("Station footfall, Aluva 12000\r\nഇടപ്പള്ളി 9000\r\n", bigEndian), "footfall.txt", "text/plain");

        Assert.True(result.Accepted, result.Detail);
        Assert.Equal(DocumentKind.Text, result.Kind);
    }

    [Fact]
    public void An_iso_2022_jp_mail_is_sniffed_as_mail_though_its_body_is_full_of_escape_sequences()
    {
        var mail = MailCases.InCharset("tokyo@rolling-stock.example.jp", "Delivery schedule", string.Concat(Enumerable.Repeat("車両の納入予定は十二月です。\n", 40)), "iso-2022-jp");

        var result = Validate(mail, "schedule.eml", "message/rfc822");

        Assert.True(result.Accepted, result.Detail);
        Assert.Equal(DocumentKind.Email, result.Kind);
    }

    [Fact]
    public void A_mail_with_an_8_bit_latin_1_body_is_mail_not_binary()
    {
        var mail = MailCases.InCharset("vendor@example.fr", "Devis", "Le café du dépôt: révision à prévoir.\n", "iso-8859-1");

        var result = Validate(mail, "devis.eml", "message/rfc822");

        Assert.Equal(DocumentKind.Email, result.Kind);
    }

    [Fact]
    public void A_mail_whose_header_block_is_longer_than_the_sniffing_window_is_still_mail()
    {
        var received = string.Concat(Enumerable.Range(0, 120).Select(i => $"Received: from relay{i}.example.net (relay{i}.example.net [10.0.0.{i % 250}])\r\n\tby mx.kochimetro.org with ESMTPS id {i:D6}\r\n"));
        var mail = System.Text.Encoding.ASCII.GetBytes(received + "From: ops@kochimetro.org\r\nSubject: Relayed\r\n\r\nBody\r\n");

        Assert.True(mail.Length > 8192);
        Assert.Equal(DocumentKind.Email, Validate(mail, "relayed.eml", "application/octet-stream").Kind);
    }

    [Fact]
    public void Plain_notes_with_a_colon_are_not_taken_for_mail()
    {
        var notes = "Subject: depot notes\nDate: today\nThe lift at Kaloor needs a check.\n"u8.ToArray();

        Assert.Equal(DocumentKind.Text, Validate(notes, "notes.txt", "text/plain").Kind);
    }

    [Fact]
    public async Task An_outlook_message_is_its_own_kind_and_accepted_under_its_own_content_type()
    {
        var msg = await OfficeCases.OutlookMessageAsync("ops@kochimetro.org", "Rake inspection", "See the report.", "report.txt", "Rake 7 inspected"u8.ToArray());

        var result = Validate(msg, "inspection.msg", "application/vnd.ms-outlook");

        Assert.True(result.Accepted, result.Detail);
        Assert.Equal(DocumentKind.OutlookMessage, result.Kind);
        Assert.Contains("application/vnd.ms-outlook", new UploadOptions().AllowedContentTypes);
    }

    [Fact]
    public void A_word_97_compound_file_is_legacy_office()
    {
        Assert.Equal(DocumentKind.LegacyOffice, Validate(TestCorpus.LegacyWord(), "old.doc", "application/msword").Kind);
    }
}
