using Kmrl.DocumentApi.Activities;
using Kmrl.DocumentApi.Extensions;
using Kmrl.DocumentApi.Processing;
using Kmrl.DocumentApi.Tests.Activities;
using Microsoft.Extensions.Options;

namespace Kmrl.DocumentApi.Tests.Processing;

/// <summary>
/// The text of OOXML markup as Word, PowerPoint and Excel show it (issue 17): a text box once, tabs and breaks as
/// white space so words do not run together, soft hyphens invisible, slide layout/master and chart text included,
/// placeholder prompts and Excel's phonetic readings left out.
/// </summary>
public sealed class OpenXmlTextTests
{
    private readonly (Kmrl.ClaimCheck.IDocumentContentStore Store, InMemoryBlobStorage Storage) _blobs = InMemoryBlobStorage.NewStore();

    private async Task<IReadOnlyList<string>> PagesAsync(byte[] bytes, string fileName, DocumentKind kind)
    {
        var intake = await Intakes.StoreAsync(_blobs.Store, bytes, fileName, "application/octet-stream");
        var extractor = ExtractTextActivityTests.Extractor(new ScriptedOcrEngine(""), new DocumentProcessingOptions());
        var result = await new ExtractTextActivity(_blobs.Store, extractor, ExtractTextActivityTests.CpuSlots, TimeProvider.System, Options.Create(new DocumentProcessingOptions()))
            .RunAsync(new TestActivityContext(intake.DocumentId), new ExtractInput(intake, kind));
        Assert.Equal(ExtractionOutcome.Extracted, result.Outcome);
        return ExtractedText.SplitPages(await TextBlobs.ReadAsync(_blobs.Store, result.Text, CancellationToken.None));
    }

    [Fact]
    public async Task A_word_text_box_with_its_vml_fallback_is_read_once_after_its_paragraph()
    {
        var docx = OoxmlCases.WordBody(OoxmlCases.TextBoxParagraph("Notice to contractors", "Site office: Muttom depot") + "<w:p><w:r><w:t>Closing remarks</w:t></w:r></w:p>");

        var text = Assert.Single(await PagesAsync(docx, "notice.docx", DocumentKind.Docx));

        Assert.Equal("Notice to contractors\nSite office: Muttom depot\nClosing remarks", text);
    }

    [Fact]
    public async Task Word_tabs_breaks_and_carriage_returns_separate_words_and_hyphens_join_them()
    {
        var docx = OoxmlCases.WordBody(
            "<w:p><w:r><w:t>Item</w:t><w:tab/><w:t>Qty</w:t><w:br/><w:t>Brake</w:t><w:cr/><w:t>pads</w:t></w:r></w:p>" +
            "<w:p><w:r><w:t>main</w:t><w:softHyphen/><w:t>tenance</w:t><w:t xml:space=\"preserve\"> </w:t><w:t>KMRL</w:t><w:noBreakHyphen/><w:t>TS</w:t><w:noBreakHyphen/><w:t>07</w:t></w:r></w:p>");

        var text = Assert.Single(await PagesAsync(docx, "stock.docx", DocumentKind.Docx));

        Assert.Equal("Item\tQty\nBrake\npads\nmaintenance KMRL-TS-07", text);
    }

    [Fact]
    public async Task A_slide_reads_its_line_breaks_its_chart_and_the_visible_text_of_its_layout_and_master_but_no_prompts()
    {
        var pptx = OoxmlCases.PptxWithLayoutMasterAndChart("Ridership review", "November 2026", "Operations dashboard", "Kochi Metro Rail Limited",
            "Daily riders", "Riders", "Aluva", "Vyttila");

        var slide = Assert.Single(await PagesAsync(pptx, "review.pptx", DocumentKind.Pptx));

        Assert.Equal("Ridership review\nNovember 2026\nDaily riders\nRiders\nAluva\nVyttila\nOperations dashboard\nKochi Metro Rail Limited", slide);
        Assert.DoesNotContain("Click to", slide);
    }

    [Fact]
    public async Task An_excel_phonetic_reading_is_not_glued_to_the_cell_text()
    {
        var xlsx = OoxmlCases.XlsxWithPhonetic("東京駅", "トウキョウエキ");

        var sheet = Assert.Single(await PagesAsync(xlsx, "stations.xlsx", DocumentKind.Xlsx));

        Assert.Equal("Stations\n東京駅\t42", sheet);
    }

    [Fact]
    public void A_name_over_255_bytes_is_shortened_between_whole_characters_and_keeps_its_extension()
    {
        var malayalam = string.Concat(Enumerable.Repeat("മെട്രോ റിപ്പോർട്ട് ", 12)) + ".pdf";

        var name = SafeFileName.From(malayalam);

        Assert.True(System.Text.Encoding.UTF8.GetByteCount(malayalam) > 255);
        Assert.True(System.Text.Encoding.UTF8.GetByteCount(name) <= 255);
        Assert.EndsWith(".pdf", name);
        Assert.StartsWith(name[..^4], malayalam);
        Assert.Equal("short.pdf", SafeFileName.From("short.pdf"));
    }
}
