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
}
