using Kmrl.DocumentApi.Extensions;
using Kmrl.DocumentApi.Processing;

namespace Kmrl.DocumentApi.Tests.Activities;

/// <summary>
/// Text layers that pass every check on their own: a ToUnicode map that lies (caught only when the page is
/// cross-checked by OCR, <see cref="DocumentProcessingOptions.CrossCheckTextPages"/>), and a legacy-font Malayalam
/// page drawn shaped, as a typesetter draws it (LibreOffice), with its maps removed.
/// </summary>
public sealed class CrossCheckTests
{
    private readonly (Kmrl.ClaimCheck.IDocumentContentStore Store, InMemoryBlobStorage Storage) _blobs = InMemoryBlobStorage.NewStore();

    private async Task<(ExtractionResult Result, IReadOnlyList<string> Pages)> ExtractAsync(byte[] pdf, DocumentProcessingOptions options)
    {
        var (result, pages, _) = await Extraction.RunAsync(_blobs.Store, pdf, "circular.pdf", TestCorpus.Pdf, DocumentKind.Pdf,
            ExtractTextActivityTests.Extractor(ExtractTextActivityTests.RealOcr(), options), options);
        return (result, pages);
    }

    private static readonly string[] Notice =
    [
        "Kochi Metro Rail Limited notice to all staff",
        "The tender for the Aluva depot closes on twelve March",
        "Safety briefing is held every Monday at Muttom yard",
    ];

    [Fact]
    public async Task A_text_layer_whose_tounicode_map_lies_is_replaced_by_ocr_when_its_page_is_cross_checked()
    {
        var pdf = LegacyFontCases.LyingToUnicodePdf(Notice);

        var (trusted, trustedPages) = await ExtractAsync(pdf, new DocumentProcessingOptions());
        var (checkedResult, checkedPages) = await ExtractAsync(pdf, new DocumentProcessingOptions { CrossCheckTextPages = 1 });

        // Alone the layer is clean letters: trusted, and wrong.
        Assert.Equal(PageSources.TextLayer, Assert.Single(trusted.PageSources!).Source);
        Assert.Contains("Lpdij", trustedPages[0]);
        var source = Assert.Single(checkedResult.PageSources!);
        Assert.Equal(PageSources.Ocr, source.Source);
        Assert.Contains("cross-checked", source.Reason);
        Assert.Contains("OCR agrees with only", source.Reason);
        Assert.Contains("Kochi Metro Rail", checkedPages[0]);
        Assert.DoesNotContain("Lpdij", checkedPages[0]);
    }

    [Fact]
    public async Task A_correct_text_layer_that_is_cross_checked_is_kept()
    {
        var (result, pages) = await ExtractAsync(TestCorpus.TextPdf(string.Join('\n', Notice)), new DocumentProcessingOptions { CrossCheckTextPages = 1 });

        var source = Assert.Single(result.PageSources!);
        Assert.Equal(PageSources.TextLayer, source.Source);
        Assert.Contains("(cross-checked); OCR agrees with", source.Reason);
        Assert.Contains("Safety briefing is held every Monday", pages[0]);
    }

    [Fact]
    public async Task A_shaped_legacy_font_malayalam_page_is_read_by_ocr_with_nearly_every_word()
    {
        string[] malayalam = ["കൊച്ചി മെട്രോ റെയിൽ ലിമിറ്റഡ്", "ബോർഡ് യോഗം ആലുവ ഡിപ്പോ ടെണ്ടർ"];
        var pdf = await LegacyFontCases.ShapedLegacyFontMalayalamPdfAsync("Circular No 42 of 2026 from the KMRL office", malayalam);

        var (result, pages) = await ExtractAsync(pdf, new DocumentProcessingOptions());

        var source = Assert.Single(result.PageSources!);
        Assert.NotEqual(PageSources.TextLayer, source.Source);
        Assert.Contains("has no ToUnicode map", source.Reason);
        var found = TextLayerQuality.Words(MalayalamText.Normalise(pages[0])).ToHashSet(StringComparer.Ordinal);
        var words = TextLayerQuality.Words(MalayalamText.Normalise(string.Join('\n', malayalam)));
        Assert.InRange((double)words.Count(found.Contains) / words.Count, 0.8, 1);
    }
}
