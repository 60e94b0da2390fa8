using System.Text;
using Kmrl.Connectors.Email.Imap;
using Kmrl.Connectors.Email.Tests.Support;
using Kmrl.Testing.Documents;
using Kmrl.Testing.Servers;

namespace Kmrl.Connectors.Email.Tests;

/// <summary>
/// Documents a naive BODYSTRUCTURE walk never reaches or silently drops (issue 17), through real Dovecot: files
/// inside Outlook's TNEF winmail.dat and inside opaque-signed S/MIME are unwrapped and discovered, an encrypted
/// S/MIME message is recorded as unreadable with its reason, a zero-byte attachment announces its size 0 (the host
/// rejects it with a reason), and a named part whose content type lacks a subtype is handed on as
/// application/octet-stream for the host to judge by its name.
/// </summary>
public sealed class ContainerPartTests(DovecotImapServer dovecot) : IClassFixture<DovecotImapServer>
{
    private async Task<ContractRun> DeliverAndSyncAsync(string folder, params byte[][] messages)
    {
        await using var context = new ImapTestContext(dovecot);
        foreach (var message in messages)
        {
            await dovecot.DeliverAsync(context.User, message, folder);
        }
        return await SourceContract.RunAsync(context.Source(folder), null, EmailHost.Options());
    }

    [Fact]
    public async Task The_documents_inside_a_tnef_winmail_dat_are_discovered_not_the_wrapper()
    {
        var pdf = Encoding.ASCII.GetBytes("%PDF-1.4 circular from Exchange");
        var sheet = Corpus.Bytes("tnef-sheet", 3_000);

        var result = await DeliverAndSyncAsync("Tnef", MailCases.WithTnef("hr@kochimetro.org", "Leave circular", "See attached.",
            ("circular.pdf", pdf), ("roster.xlsx", sheet)));

        Assert.Equal(["circular.pdf", "roster.xlsx"], result.Documents.Select(d => d.FileName));
        Assert.Equal([SourceContract.Sha256(pdf), SourceContract.Sha256(sheet)], result.Documents.Select(d => d.Sha256));
        Assert.All(result.Documents, d => Assert.Equal("tnef", d.Metadata[EmailMetadataKeys.Container]));
        Assert.Equal(["2/tnef/1", "2/tnef/2"], result.Documents.Select(d => d.SourceId[(d.SourceId.IndexOf('/') + 1)..]));
        Assert.Equal(pdf.Length, result.Documents[0].Size);
    }

    [Fact]
    public async Task The_attachments_of_an_opaque_signed_smime_message_are_discovered()
    {
        var pdf = Encoding.ASCII.GetBytes("%PDF-1.4 signed tender award");

        var result = await DeliverAndSyncAsync("Signed", MailCases.OpaqueSigned("tenders@kochimetro.org", "Tender award", "Signed award letter.",
            ("award.pdf", "application/pdf", pdf)));

        var document = Assert.Single(result.Documents);
        Assert.Equal("award.pdf", document.FileName);
        Assert.Equal("application/pdf", document.ContentType);
        Assert.Equal(SourceContract.Sha256(pdf), document.Sha256);
        Assert.Equal("smime", document.Metadata[EmailMetadataKeys.Container]);
        Assert.Empty(result.Unreadable!);
    }

    [Theory]
    [InlineData("winmail.dat")]
    [InlineData("smime.p7m")]
    [InlineData("smime.p7s")]
    public async Task A_clear_signed_mails_signature_part_is_the_signature_whatever_its_name(string signatureName)
    {
        // Its content type (application/pkcs7-signature) decides before its name: a signature named winmail.dat was
        // handed to the TNEF reader and the mail recorded as unreadable-tnef, its documents lost.
        var pdf = Encoding.ASCII.GetBytes("%PDF-1.4 signed circular");

        var result = await DeliverAndSyncAsync("ClearSigned-" + signatureName.Replace('.', '-'), MailCases.ClearSigned("hr@kochimetro.org", "Signed circular", "See attached.",
            signatureName, ("circular.pdf", "application/pdf", pdf)));

        var document = Assert.Single(result.Documents);
        Assert.Equal("circular.pdf", document.FileName);
        Assert.Equal(SourceContract.Sha256(pdf), document.Sha256);
        Assert.False(document.Metadata.ContainsKey(EmailMetadataKeys.Container));
        Assert.Empty(result.Unreadable!);
    }

    [Fact]
    public async Task A_winmail_dat_or_smime_p7m_sent_as_octet_stream_is_opened_by_its_name()
    {
        var pdf = Encoding.ASCII.GetBytes("%PDF-1.4 roster from Exchange");
        var award = Encoding.ASCII.GetBytes("%PDF-1.4 signed award");

        var result = await DeliverAndSyncAsync("OctetContainers",
            MailCases.WithAttachments("hr@kochimetro.org", "Roster", "See attached.", ("winmail.dat", "application/octet-stream", MailCases.Tnef(("roster.pdf", pdf)))),
            MailCases.OpaqueSignedAsOctetStream("tenders@kochimetro.org", "Award", "Signed.", ("award.pdf", "application/pdf", award)));

        Assert.Equal(["roster.pdf", "award.pdf"], result.Documents.Select(d => d.FileName));
        Assert.Equal(["tnef", "smime"], result.Documents.Select(d => d.Metadata[EmailMetadataKeys.Container]));
        Assert.Empty(result.Unreadable!);
    }

    [Fact]
    public async Task An_encrypted_smime_message_is_recorded_as_unreadable_with_its_reason_and_the_folder_goes_on()
    {
        var result = await DeliverAndSyncAsync("Encrypted",
            MailCases.Encrypted("finance@kochimetro.org", "Salary statement", "Confidential."),
            MailCases.WithAttachments("ops@kochimetro.org", "After", "x", ("after.pdf", "application/pdf", "%PDF-1.4 after"u8.ToArray())));

        var unreadable = Assert.Single(result.Unreadable!);
        Assert.StartsWith("encrypted-smime:", unreadable.Reason);
        Assert.Equal("after.pdf", Assert.Single(result.Documents).FileName);
        Assert.Equal(2u, result.CheckpointAs<ImapCheckpoint>()!.LastUid);
    }

    [Fact]
    public async Task A_zero_byte_base64_attachment_announces_size_zero_so_the_host_can_reject_it()
    {
        var result = await DeliverAndSyncAsync("Empty", MailCases.WithAttachments("ops@kochimetro.org", "Empty", "x", ("empty.pdf", "application/pdf", [])));

        // The source announces 0 before any read, so the host rejects it without opening it.
        var document = Assert.Single(result.Offered.OfType<SourceDocument>());
        Assert.Equal(0, document.Size);
        Assert.Empty(result.Documents);
        Assert.StartsWith("empty-file:", Assert.Single(result.Rejected).Reason, StringComparison.Ordinal);
    }

    private static readonly byte[] GzipBytes = Convert.FromBase64String("H4sIAAAAAAAAA0tMSU0BAPg9PbQEAAAA");

    /// <summary>A mail whose one attachment has a Content-Type without a subtype (<c>application-x-gzip; name=…</c>).</summary>
    private static byte[] WithoutSubtype(string folder, string type, string name, byte[] content) => Encoding.ASCII.GetBytes(
        $"From: ops@kochimetro.org\r\nTo: records@kochimetro.org\r\nSubject: logs\r\nMessage-ID: <noslash-{folder}@kmrl.example>\r\nMIME-Version: 1.0\r\n" +
        "Content-Type: multipart/mixed; boundary=\"B\"\r\n\r\n" +
        "--B\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n" +
        $"--B\r\nContent-Type: {type}; name=\"{name}\"\r\nContent-Transfer-Encoding: base64\r\n\r\n{Convert.ToBase64String(content)}\r\n" +
        "--B--\r\n");

    private async Task<ContractRun> SyncWithDefaultFiltersAsync(string folder, byte[] message)
    {
        await using var context = new ImapTestContext(dovecot);
        await dovecot.DeliverAsync(context.User, message, folder);
        return await SourceContract.RunAsync(context.Source(folder), null, new ContractOptions { Connector = Kmrl.Contracts.DocumentSources.Email });
    }

    [Fact]
    public async Task A_named_part_whose_content_type_has_no_subtype_is_handed_on_as_octet_stream_and_judged_by_its_name()
    {
        var result = await DeliverAndSyncAsync("NoSlash", WithoutSubtype("NoSlash", "application-x-gzip", "signal-logs.gz", GzipBytes));

        // The type says nothing the host can use, so the source declares application/octet-stream and the host's
        // filter decides by the extension (.gz is allowed here). It declared "/" (BODYSTRUCTURE's type as it came),
        // which no allow list holds: the part was rejected as "Content type '/' is not allowed" and never published.
        var document = Assert.Single(result.Documents);
        Assert.Equal("signal-logs.gz", document.FileName);
        Assert.Equal("application/octet-stream", document.ContentType);
        Assert.Equal(SourceContract.Sha256(GzipBytes), document.Sha256);
        Assert.Empty(result.Rejected);
    }

    [Fact]
    public async Task A_pdf_whose_content_type_has_no_subtype_reaches_the_pipeline_under_the_default_filters_typed_by_its_extension()
    {
        var pdf = Encoding.ASCII.GetBytes("%PDF-1.4 circular with a broken content type");

        var result = await SyncWithDefaultFiltersAsync("NoSlashPdf", WithoutSubtype("NoSlashPdf", "application-pdf", "circular.pdf", pdf));

        var document = Assert.Single(result.Documents);
        Assert.Equal(("circular.pdf", "application/pdf"), (document.FileName, document.Event.ContentType));
        Assert.Equal(SourceContract.Sha256(pdf), document.Sha256);
        Assert.Empty(result.Rejected);
    }

    [Fact]
    public async Task A_named_part_without_a_subtype_whose_extension_is_not_allowed_is_recorded_as_rejected_for_its_extension()
    {
        var result = await SyncWithDefaultFiltersAsync("NoSlashDefault", WithoutSubtype("NoSlashDefault", "application-x-gzip", "signal-logs.gz", GzipBytes));

        Assert.Empty(result.Documents);
        var rejected = Assert.Single(result.Rejected);
        Assert.Equal(("signal-logs.gz", "Extension '.gz' is not allowed."), (rejected.FileName, rejected.Reason));
        Assert.True(result.Completed);
    }
}
