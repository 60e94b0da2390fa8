using Kmrl.DocumentApi.Extensions;
using Kmrl.DocumentApi.Processing;

namespace Kmrl.DocumentApi.Tests.Activities;

/// <summary>
/// S/MIME in an uploaded .eml read as the e-mail connector reads it on the server (one <c>Kmrl.Mime.MimeContainers</c>):
/// an opaque-signed mail's body and documents are the signed ones, an encrypted one is catalogued with its reason.
/// </summary>
public sealed class SecureMailUploadTests
{
    private readonly (Kmrl.ClaimCheck.IDocumentContentStore Store, InMemoryBlobStorage Storage) _blobs = InMemoryBlobStorage.NewStore();

    private async Task<(ExtractionResult Result, IReadOnlyList<string> Pages)> ExtractAsync(byte[] eml, string fileName)
    {
        var processing = new DocumentProcessingOptions();
        using var content = new MemoryStream(eml);
        var validation = new ContentSniffer(processing).Validate(content, "message/rfc822", fileName);
        Assert.True(validation.Accepted, validation.Detail);
        Assert.Equal(DocumentKind.Email, validation.Kind);
        var (result, pages, _) = await Extraction.RunAsync(_blobs.Store, eml, fileName, "message/rfc822", validation.Kind,
            ExtractTextActivityTests.Extractor(new ScriptedOcrEngine(""), processing), processing);
        return (result, pages);
    }

    [Fact]
    public async Task An_uploaded_opaque_signed_mail_is_read_with_its_signed_body_and_the_documents_inside_the_signature()
    {
        var eml = MailCases.OpaqueSigned("tenders@kochimetro.org", "Tender award", "Signed award letter attached.",
            ("award.docx", TestCorpus.DocxType, TestCorpus.Docx("Award of tender T-42 to Metro Works")));

        var (result, pages) = await ExtractAsync(eml, "award.eml");

        Assert.Equal(ExtractionOutcome.Extracted, result.Outcome);
        Assert.Equal(["Tender award\n\nSigned award letter attached.", "Award of tender T-42 to Metro Works"], pages);
        Assert.Equal("award.docx", result.Properties[TextExtractor.PropertyAttachments]);
        Assert.False(result.Properties.ContainsKey(TextExtractor.PropertyUnreadAttachments));
    }

    [Fact]
    public async Task An_uploaded_encrypted_mail_is_catalogued_with_its_subject_and_named_encrypted_smime()
    {
        var eml = MailCases.Encrypted("finance@kochimetro.org", "Salary statement", "Confidential.");

        var (result, pages) = await ExtractAsync(eml, "salary.eml");

        Assert.Equal(ExtractionOutcome.Extracted, result.Outcome);
        Assert.Equal(["Salary statement"], pages);
        Assert.Equal("smime.p7m (encrypted-smime)", result.Properties[TextExtractor.PropertyUnreadAttachments]);
    }

    [Theory]
    [InlineData("winmail.dat")]
    [InlineData("smime.p7m")]
    public async Task A_clear_signed_mails_signature_named_like_a_container_is_left_out_as_the_signature(string signatureName)
    {
        var eml = MailCases.ClearSigned("hr@kochimetro.org", "Signed circular", "Circular attached.", signatureName,
            ("circular.docx", TestCorpus.DocxType, TestCorpus.Docx("Platform screen doors at Edappally")));

        var (result, pages) = await ExtractAsync(eml, "circular.eml");

        Assert.Equal(ExtractionOutcome.Extracted, result.Outcome);
        Assert.Equal(["Signed circular\n\nCircular attached.", "Platform screen doors at Edappally"], pages);
        Assert.Equal("circular.docx", result.Properties[TextExtractor.PropertyAttachments]);
        Assert.False(result.Properties.ContainsKey(TextExtractor.PropertyUnreadAttachments));
    }

    [Fact]
    public async Task A_winmail_dat_sent_as_octet_stream_is_opened_as_tnef_as_the_connector_opens_it()
    {
        var eml = MailCases.WithAttachments("hr@kochimetro.org", "Leave circular", "See attached.",
            ("winmail.dat", "application/octet-stream", MailCases.Tnef(("circular.docx", TestCorpus.Docx("Leave rules for depot staff")))));

        var (result, pages) = await ExtractAsync(eml, "leave.eml");

        Assert.Equal("circular.docx", result.Properties[TextExtractor.PropertyAttachments]);
        Assert.Contains("Leave rules for depot staff", pages);
    }

    [Fact]
    public async Task An_unreadable_winmail_dat_is_listed_with_its_reason_and_the_mail_is_still_read()
    {
        // A TNEF part whose content is not TNEF: before, MimeKit's TnefException escaped and failed the whole mail.
        var eml = MailCases.WithAttachments("hr@kochimetro.org", "Broken", "Body text.",
            ("winmail.dat", "application/ms-tnef", "not a tnef stream at all"u8.ToArray()),
            ("note.txt", "text/plain", "Depot note"u8.ToArray()));

        var (result, pages) = await ExtractAsync(eml, "broken.eml");

        Assert.Equal(ExtractionOutcome.Extracted, result.Outcome);
        Assert.Equal("Broken\n\nBody text.", pages[0]);
        Assert.StartsWith("winmail.dat (unreadable-tnef:", result.Properties[TextExtractor.PropertyUnreadAttachments]);
    }
}
