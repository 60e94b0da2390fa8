using Kmrl.DocumentApi.Activities;
using Kmrl.DocumentApi.Adapters;
using Kmrl.DocumentApi.Extensions;
using Kmrl.DocumentApi.Ports;
using Kmrl.DocumentApi.Processing;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Kmrl.DocumentApi.Tests.Activities;

/// <summary>
/// The corpus of formats read through LibreOffice and msgconvert, made once per run (one soffice start per target
/// format). build.sh installs both tools; without them the fixture fails, it does not skip.
/// </summary>
public sealed class ConvertedCorpus : IAsyncLifetime
{
    public const string WordLine1 = "Tender notice for the Aluva depot";
    public const string WordLine2 = "Closing date\t15 December 2026";
    public const string WordLine3 = "കൊച്ചി മെട്രോ റെയിൽ";

    public IReadOnlyDictionary<string, byte[]> Files { get; private set; } = new Dictionary<string, byte[]>();

    public byte[] OutlookMessage { get; private set; } = [];

    public async Task InitializeAsync()
    {
        Files = await OfficeCases.ConvertAsync(
            // The tab as Word writes it (w:tab), not a tab character inside w:t.
            OoxmlCases.WordBody($"<w:p><w:r><w:t>{WordLine1}</w:t></w:r></w:p><w:p><w:r><w:t>Closing date</w:t><w:tab/><w:t>15 December 2026</w:t></w:r></w:p><w:p><w:r><w:t>{WordLine3}</w:t></w:r></w:p>"),
            TestCorpus.Xlsx("Stock", ["Item", "Qty"], ["Brake pad", "40"]),
            TestCorpus.Pptx("Board review", "Ridership up 12 percent"));
        OutlookMessage = await OfficeCases.OutlookMessageAsync("ops@kochimetro.org", "Rake 7 inspection", "The inspection note is attached.",
            "note.docx", TestCorpus.Docx("Rake 7 bogie inspection passed"));
    }

    public Task DisposeAsync() => Task.CompletedTask;
}

/// <summary>
/// Legacy Office, OpenDocument, RTF and Outlook .msg read through the field's converters (issue 17), mail with its
/// attachments' text (TNEF included) and in any charset; without a converter the document is catalogued as
/// tool-missing, never lost.
/// </summary>
public sealed class ConvertedFormatTests(ConvertedCorpus corpus) : IClassFixture<ConvertedCorpus>
{
    private readonly (Kmrl.ClaimCheck.IDocumentContentStore Store, InMemoryBlobStorage Storage) _blobs = InMemoryBlobStorage.NewStore();

    private static readonly OfficeToolOptions NoTools = new() { SofficePath = "/nonexistent/soffice", MsgconvertPath = "/nonexistent/msgconvert" };

    internal static LibreOfficeConverter Converter(OfficeToolOptions? options = null) =>
        new(Options.Create(options ?? new OfficeToolOptions()), NullLogger<LibreOfficeConverter>.Instance);

    private async Task<(ExtractionResult Result, IReadOnlyList<string> Pages)> ExtractAsync(byte[] bytes, string fileName, string contentType, OfficeToolOptions? tools = null)
    {
        var intake = await Intakes.StoreAsync(_blobs.Store, bytes, fileName, contentType);
        var processing = new DocumentProcessingOptions();
        using (var content = new MemoryStream(bytes))
        {
            var validation = new ContentSniffer(processing).Validate(content, contentType, fileName);
            Assert.True(validation.Accepted, validation.Detail);
            var extractor = ExtractTextActivityTests.Extractor(new ScriptedOcrEngine(""), processing, office: Converter(tools));
            var result = await new ExtractTextActivity(_blobs.Store, extractor, ExtractTextActivityTests.CpuSlots, TimeProvider.System, Options.Create(processing))
                .RunAsync(new TestActivityContext(intake.DocumentId), new ExtractInput(intake, validation.Kind));
            var text = await TextBlobs.ReadAsync(_blobs.Store, result.Text, CancellationToken.None);
            return (result, ExtractedText.SplitPages(text));
        }
    }

    [Theory]
    [InlineData("doc", "application/msword")]
    [InlineData("odt", "application/vnd.oasis.opendocument.text")]
    public async Task A_word_97_or_opendocument_text_is_read_through_libreoffice(string extension, string contentType)
    {
        var (result, pages) = await ExtractAsync(corpus.Files[extension], "tender." + extension, contentType);

        Assert.Equal(ExtractionOutcome.Extracted, result.Outcome);
        Assert.Equal("libreoffice+openxml-word", result.Extractor);
        Assert.Equal($"{ConvertedCorpus.WordLine1}\n{ConvertedCorpus.WordLine2}\n{ConvertedCorpus.WordLine3}", Assert.Single(pages));
    }

    [Fact]
    public async Task Rtf_is_read_as_its_text_not_its_markup()
    {
        var (result, pages) = await ExtractAsync(OfficeCases.Rtf(ConvertedCorpus.WordLine1, ConvertedCorpus.WordLine2, ConvertedCorpus.WordLine3), "tender.rtf", "application/rtf");

        Assert.Equal("libreoffice+openxml-word", result.Extractor);
        Assert.Equal($"{ConvertedCorpus.WordLine1}\n{ConvertedCorpus.WordLine2}\n{ConvertedCorpus.WordLine3}", Assert.Single(pages));
    }

    [Theory]
    [InlineData("xls", "application/vnd.ms-excel")]
    [InlineData("ods", "application/vnd.oasis.opendocument.spreadsheet")]
    public async Task An_excel_97_or_opendocument_spreadsheet_is_read_a_sheet_per_page(string extension, string contentType)
    {
        var (result, pages) = await ExtractAsync(corpus.Files[extension], "stock." + extension, contentType);

        Assert.Equal("libreoffice+openxml-spreadsheet", result.Extractor);
        Assert.Equal("Stock\nItem\tQty\nBrake pad\t40", Assert.Single(pages));
    }

    [Theory]
    [InlineData("ppt", "application/vnd.ms-powerpoint")]
    [InlineData("odp", "application/vnd.oasis.opendocument.presentation")]
    public async Task A_powerpoint_97_or_opendocument_presentation_is_read_a_slide_per_page(string extension, string contentType)
    {
        var (result, pages) = await ExtractAsync(corpus.Files[extension], "board." + extension, contentType);

        Assert.Equal("libreoffice+openxml-presentation", result.Extractor);
        Assert.Equal(["Board review", "Ridership up 12 percent"], pages);
    }

    [Fact]
    public async Task An_outlook_message_is_read_as_mail_with_its_attachments_text()
    {
        var (result, pages) = await ExtractAsync(corpus.OutlookMessage, "inspection.msg", "application/vnd.ms-outlook");

        Assert.Equal("msgconvert+mimekit", result.Extractor);
        Assert.Equal(["Rake 7 inspection\n\nThe inspection note is attached.", "Rake 7 bogie inspection passed"], pages);
        Assert.Equal("ops@kochimetro.org", result.Properties[TextExtractor.PropertySender]);
        Assert.Equal("note.docx", result.Properties[TextExtractor.PropertyAttachments]);
    }

    [Fact]
    public async Task Without_libreoffice_a_legacy_file_is_catalogued_as_tool_missing_not_rejected()
    {
        var (result, pages) = await ExtractAsync(corpus.Files["doc"], "tender.doc", "application/msword", NoTools);

        Assert.Equal(ExtractionOutcome.NoExtractor, result.Outcome);
        Assert.Equal("tool-missing:soffice", result.Extractor);
        Assert.Contains("libreoffice-writer-nogui", result.Properties[TextExtractor.PropertyMissingTool]);
        Assert.Empty(pages);
    }

    [Fact]
    public async Task Without_msgconvert_an_outlook_message_is_catalogued_as_tool_missing()
    {
        var (result, _) = await ExtractAsync(corpus.OutlookMessage, "inspection.msg", "application/vnd.ms-outlook", NoTools);

        Assert.Equal(ExtractionOutcome.NoExtractor, result.Outcome);
        Assert.Equal("tool-missing:msgconvert", result.Extractor);
    }

    [Fact]
    public async Task A_file_libreoffice_cannot_open_is_rejected_as_corrupt_office_once()
    {
        var (result, _) = await ExtractAsync(TestCorpus.LegacyWord(), "old.doc", "application/msword");

        Assert.Equal(ExtractionOutcome.Rejected, result.Outcome);
        Assert.Equal(RejectionReasons.CorruptOffice, result.RejectionReason);
    }

    [Fact]
    public async Task A_mail_is_read_with_its_attachments_and_the_documents_inside_winmail_dat()
    {
        var eml = MailCases.WithAttachments("stores@kochimetro.org", "Stock and notice", "Two files attached.",
            ("stock.xlsx", TestCorpus.XlsxType, TestCorpus.Xlsx("Stock", ["Brake pad", "40"])),
            ("winmail.dat", "application/ms-tnef", MailCases.Tnef(("notice.docx", TestCorpus.Docx("Depot closed on Sunday")), ("archive.zip", TestCorpus.PlainZip()))));

        var (result, pages) = await ExtractAsync(eml, "stock.eml", "message/rfc822");

        Assert.Equal("mimekit", result.Extractor);
        Assert.Equal(["Stock and notice\n\nTwo files attached.", "Stock\nBrake pad\t40", "Depot closed on Sunday"], pages);
        Assert.Equal("stock.xlsx, notice.docx", result.Properties[TextExtractor.PropertyAttachments]);
        Assert.Equal("archive.zip (unsupported-type)", result.Properties[TextExtractor.PropertyUnreadAttachments]);
    }

    [Fact]
    public async Task An_iso_2022_jp_mail_is_decoded_not_refused()
    {
        var eml = MailCases.InCharset("tokyo@rolling-stock.example.jp", "Delivery schedule", "車両の納入予定は十二月です。", "iso-2022-jp");

        var (result, pages) = await ExtractAsync(eml, "schedule.eml", "message/rfc822");

        Assert.Equal(ExtractionOutcome.Extracted, result.Outcome);
        Assert.Equal("Delivery schedule\n\n車両の納入予定は十二月です。", Assert.Single(pages));
    }

    [Fact]
    public async Task Utf16_text_with_a_byte_order_mark_is_read()
    {
        var (result, pages) = await ExtractAsync(MailCases.Utf16("Footfall ഇടപ്പള്ളി 9000"), "footfall.txt", "text/plain");

        Assert.Equal("text", result.Extractor);
        Assert.Equal("Footfall ഇടപ്പള്ളി 9000", Assert.Single(pages));
    }
}
