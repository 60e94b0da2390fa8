using Kmrl.DocumentApi.Activities;
using Kmrl.DocumentApi.Adapters;
using Kmrl.DocumentApi.Extensions;
using Kmrl.DocumentApi.Processing;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Kmrl.DocumentApi.Tests.Activities;

/// <summary>
/// Issue 17's scans and text layers through the extract activity with the real tools (poppler, tesseract with
/// osd and the Indic packs, ImageMagick): each case with its text or word overlap, language and per-page source.
/// One small page each, since OCR is the slow part of the suite.
/// </summary>
public sealed class ScanAndScriptTests
{
    private readonly (Kmrl.ClaimCheck.IDocumentContentStore Store, InMemoryBlobStorage Storage) _blobs = InMemoryBlobStorage.NewStore();

    private static TesseractOcrEngine Ocr(OcrOptions? options = null) => new(Options.Create(options ?? new OcrOptions()), NullLogger<TesseractOcrEngine>.Instance);

    private async Task<(ExtractionResult Result, IReadOnlyList<string> Pages)> ExtractAsync(byte[] bytes, string fileName, DocumentKind kind, TesseractOcrEngine? ocr = null)
    {
        var intake = await Intakes.StoreAsync(_blobs.Store, bytes, fileName, "application/octet-stream");
        var extractor = ExtractTextActivityTests.Extractor(ocr ?? Ocr(), new DocumentProcessingOptions());
        var result = await new ExtractTextActivity(_blobs.Store, extractor, ExtractTextActivityTests.CpuSlots, TimeProvider.System, Options.Create(new DocumentProcessingOptions()))
            .RunAsync(new TestActivityContext(intake.DocumentId), new ExtractInput(intake, kind));
        var text = await TextBlobs.ReadAsync(_blobs.Store, result.Text, CancellationToken.None);
        return (result, ExtractedText.SplitPages(text));
    }

    /// <summary>Share of the expected words found in the text (both normalised as stored text is).</summary>
    private static double Overlap(string expected, string actual)
    {
        var found = TextLayerQuality.Words(MalayalamText.Normalise(actual)).ToHashSet(StringComparer.Ordinal);
        var words = TextLayerQuality.Words(MalayalamText.Normalise(expected));
        return (double)words.Count(found.Contains) / words.Count;
    }

    private const string Notice = "KOCHI METRO RAIL LIMITED\nNotice to all station controllers\nThe fire alarm panels at Aluva, Kalamassery and Vyttila\nmust be checked every morning before the first train.\nReport faults to the operations control centre.";

    [Fact]
    public async Task An_english_scan_with_one_malayalam_line_keeps_that_line_read_in_malayalam()
    {
        const string english = "Kochi Metro Rail Limited notice to all staff\nThe tender for the Aluva depot closes on twelve March.\nSafety briefing is held every Monday at Muttom yard.\nContact the station controller for any change.";
        const string malayalam = "ആലുവ ഡിപ്പോയുടെ ടെണ്ടർ മാർച്ച് പന്ത്രണ്ടിന്";
        var png = await ScanCases.MixedScriptScanPngAsync(english, malayalam, "Noto Sans Malayalam");

        var (result, pages) = await ExtractAsync(png, "notice.png", DocumentKind.Png);

        var source = Assert.Single(result.PageSources!);
        // The page is English to OSD, so it is read with eng alone (no Malayalam invented in the English) ...
        Assert.InRange(Overlap(english, pages[0]), 0.9, 1);
        // ... and the one line English could not read is read again in its own script. Before: Latin nonsense.
        Assert.InRange(Overlap(malayalam, pages[0]), 0.6, 1);
        Assert.Equal("eng+mal", source.OcrLanguages);
        var englishPart = pages[0][..pages[0].IndexOf("Contact", StringComparison.Ordinal)];
        Assert.DoesNotContain(englishPart, c => Scripts.Of(c) == Scripts.Malayalam);
    }

    [Fact]
    public async Task A_legacy_font_malayalam_page_is_read_by_ocr_instead_of_its_broken_text_layer()
    {
        string[] malayalam = ["കൊച്ചി മെട്രോ റെയിൽ ലിമിറ്റഡ്", "ബോർഡ് യോഗം ആലുവ ഡിപ്പോ ടെണ്ടർ"];
        var pdf = await LegacyFontCases.ShapedLegacyFontMalayalamPdfAsync("Circular No 42 of 2026 from the KMRL office", malayalam);

        var (result, pages) = await ExtractAsync(pdf, "circular.pdf", DocumentKind.Pdf);

        var source = Assert.Single(result.PageSources!);
        Assert.Equal(PageSources.Ocr, source.Source);
        Assert.Contains("control or private-use characters", source.Reason);
        Assert.Contains("NotoSansMalayalam-Regular has no ToUnicode map", source.Reason);
        // OSD may see the English heading's script or the Malayalam; either way both packs read the page.
        Assert.Equal(["eng", "mal"], source.OcrLanguages!.Split('+').Order(StringComparer.Ordinal));
        Assert.NotNull(source.OcrConfidence);
        Assert.Equal([1], result.OcrPages);
        // The text layer alone held no Malayalam words at all; OCR of the page reads them, and the English heading.
        Assert.InRange(Overlap(string.Join('\n', malayalam), pages[0]), 0.8, 1);
        Assert.Contains("Circular No 42 of 2026", pages[0]);
        Assert.Contains("ml", LanguageDetector.DetectPage(1, pages[0]).Languages!);
    }

    [Fact]
    public async Task A_short_correct_text_layer_on_a_scan_is_kept_and_ocr_adds_the_scanned_text()
    {
        var png = await ScanCases.TurnedScanPngAsync(Notice, "Noto Sans", 0);
        var (width, height) = ScanCases.PngSize(png);
        var pdf = ScanCases.ImagePdfWithStamp(png, width, height, "Ref 42/B");

        var (result, pages) = await ExtractAsync(pdf, "stamped.pdf", DocumentKind.Pdf);

        var source = Assert.Single(result.PageSources!);
        Assert.Equal(PageSources.Both, source.Source);
        Assert.StartsWith("Ref 42/B\n", pages[0]);
        Assert.InRange(Overlap(Notice, pages[0]), 0.9, 1);
        Assert.Equal("eng", source.OcrLanguages);
        Assert.Equal(Languages.English, LanguageDetector.DetectPage(1, pages[0]).Language);
    }

    [Theory]
    [InlineData(90)]
    [InlineData(180)]
    public async Task A_turned_english_scan_is_turned_back_before_ocr_and_read_in_english_only(int degrees)
    {
        var pdf = await ScanCases.TurnedScanPdfAsync(Notice, "Noto Sans", degrees);

        var (result, pages) = await ExtractAsync(pdf, "turned.pdf", DocumentKind.Pdf);

        var source = Assert.Single(result.PageSources!);
        Assert.Equal((360 - degrees) % 360, source.Rotation);
        Assert.Equal("eng", source.OcrLanguages);
        Assert.InRange(Overlap(Notice, pages[0]), 0.9, 1);
        // eng alone: no Malayalam letters invented on an English page.
        Assert.DoesNotContain(pages[0], c => Scripts.Of(c) is { } s && s != Scripts.Latin);
        Assert.Equal(Languages.English, LanguageDetector.DetectPage(1, pages[0]).Language);
        Assert.InRange(source.OcrConfidence!.Value, 60, 100);
    }

    [Fact]
    public async Task A_skewed_scan_is_deskewed_and_read()
    {
        var pdf = await ScanCases.TurnedScanPdfAsync(Notice, "Noto Sans", 6);

        var (result, pages) = await ExtractAsync(pdf, "skewed.pdf", DocumentKind.Pdf);

        var source = Assert.Single(result.PageSources!);
        Assert.Equal(0, source.Rotation);
        Assert.InRange(source.Skew, -7, -5);
        Assert.InRange(Overlap(Notice, pages[0]), 0.9, 1);
    }

    [Theory]
    [InlineData("hi", "hin+eng")]
    [InlineData("ta", "tam+eng")]
    public async Task An_indic_scan_is_read_with_its_scripts_language_pack_and_named_in_iso_639(string language, string packs)
    {
        var (font, text) = ScanCases.ScriptSamples[language];
        var png = await ScanCases.TurnedScanPngAsync(string.Join('\n', Enumerable.Repeat(text, 3)), font, 0);

        var (result, pages) = await ExtractAsync(png, "scan.png", DocumentKind.Png);

        var source = Assert.Single(result.PageSources!);
        Assert.Equal(packs, source.OcrLanguages);
        Assert.Equal(language, LanguageDetector.DetectPage(1, pages[0]).Language);
        Assert.InRange(Overlap(text, pages[0]), 0.6, 1);
    }

    [Fact]
    public async Task A_bengali_scan_whose_lines_tesseract_returns_empty_is_read_again_word_by_word()
    {
        // Debian's ben model segments every second line of this page and recognises nothing in it (--psm 3, 4, 6, 7):
        // plain tesseract reads 36 % of the words. Read again in sparse mode, the lines come back.
        var (font, text) = ScanCases.ScriptSamples["bn"];
        var page = string.Join('\n', Enumerable.Repeat(text, 3));
        var png = await ScanCases.TurnedScanPngAsync(page, font, 0);

        var (result, pages) = await ExtractAsync(png, "scan.png", DocumentKind.Png);

        Assert.Equal("ben+eng", Assert.Single(result.PageSources!).OcrLanguages);
        Assert.Equal("bn", LanguageDetector.DetectPage(1, pages[0]).Language);
        Assert.InRange(Overlap(page, pages[0]), 0.9, 1);
        // In page order: each dropped line goes back below the line above it.
        var lines = pages[0].Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.InRange(Overlap(text.Split('\n')[1], lines[1]), 0.8, 1);
    }

    [Fact]
    public async Task Without_the_language_pack_a_page_is_still_catalogued_and_says_which_pack_is_missing()
    {
        // A tessdata folder with English and orientation data only, as on a machine without tesseract-ocr-tam.
        var tessdata = Directory.CreateTempSubdirectory("kmrl-tessdata-");
        try
        {
            const string installed = "/usr/share/tesseract-ocr/5/tessdata";
            File.CreateSymbolicLink(Path.Combine(tessdata.FullName, "eng.traineddata"), Path.Combine(installed, "eng.traineddata"));
            File.CreateSymbolicLink(Path.Combine(tessdata.FullName, "osd.traineddata"), Path.Combine(installed, "osd.traineddata"));
            Directory.CreateSymbolicLink(Path.Combine(tessdata.FullName, "configs"), Path.Combine(installed, "configs"));
            var (font, text) = ScanCases.ScriptSamples["ta"];
            var png = await ScanCases.TurnedScanPngAsync(string.Join('\n', Enumerable.Repeat(text, 3)), font, 0);

            var (result, _) = await ExtractAsync(png, "scan.png", DocumentKind.Png, Ocr(new OcrOptions { TessdataPath = tessdata.FullName }));

            Assert.Equal(ExtractionOutcome.Extracted, result.Outcome);
            var source = Assert.Single(result.PageSources!);
            Assert.Equal("eng", source.OcrLanguages);
            Assert.Equal(["tesseract-ocr-tam"], source.Missing);
        }
        finally
        {
            tessdata.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task Every_page_of_a_multi_page_tiff_is_ocrd_as_its_own_page()
    {
        var tiff = await ScanCases.MultiPageTiffAsync("Noto Sans", "Page one of the fax\nWork order WO-5521", "Page two of the fax\nPurchase order PO-7730");

        var (result, pages) = await ExtractAsync(tiff, "fax.tif", DocumentKind.Tiff);

        Assert.Equal(2, result.PageCount);
        Assert.Equal([1, 2], result.OcrPages);
        Assert.Contains("WO-5521", pages[0]);
        Assert.Contains("PO-7730", pages[1]);
        Assert.All(result.PageSources!, s => Assert.Equal(PageSources.Ocr, s.Source));
    }

    [Fact]
    public async Task Filled_form_values_are_recorded_and_added_to_their_page_without_ocr()
    {
        var pdf = ScanCases.FilledFormPdf("permit_no", "PTW-2291 Muttom depot");

        var (result, pages) = await ExtractAsync(pdf, "permit.pdf", DocumentKind.Pdf);

        Assert.Equal("PTW-2291 Muttom depot", result.FormFields!["permit_no"]);
        Assert.Equal("Yes", result.FormFields["isolation_confirmed"]);
        Assert.Contains("permit_no: PTW-2291 Muttom depot", pages[0]);
        Assert.Empty(result.OcrPages);
        Assert.Equal(PageSources.TextLayer, Assert.Single(result.PageSources!).Source);
    }

    [Fact]
    public async Task Xfa_form_values_are_read_from_its_datasets_into_the_form_fields_and_the_page_text()
    {
        var pdf = ScanCases.XfaFormPdf(
            "<permit><applicant>Anil Kumar</applicant><station>Aluva</station><remarks>ആലുവ ഡിപ്പോ</remarks><blank/>"
            + "<items><item>Brake pads</item><item>Wheel set</item></items></permit>");

        var (result, pages) = await ExtractAsync(pdf, "xfa-permit.pdf", DocumentKind.Pdf);

        Assert.Contains(PdfFindings.Xfa, result.ActiveContent!);
        Assert.Equal(new Dictionary<string, string>
        {
            ["permit.applicant"] = "Anil Kumar",
            ["permit.station"] = "Aluva",
            ["permit.remarks"] = "ആലുവ ഡിപ്പോ",
            ["permit.items.item"] = "Brake pads",
            ["permit.items.item[2]"] = "Wheel set",
        }, result.FormFields);
        Assert.Contains("permit.applicant: Anil Kumar", pages[0]);
        Assert.Contains("permit.items.item[2]: Wheel set", pages[0]);
    }

    [Fact]
    public void Xfa_datasets_with_a_dtd_are_not_read()
    {
        var hostile = System.Text.Encoding.UTF8.GetBytes(
            "<!DOCTYPE x [<!ENTITY a \"aaaaaaaaaa\">]><xfa:datasets xmlns:xfa=\"http://www.xfa.org/schema/xfa-data/1.0/\"><xfa:data><f>&a;</f></xfa:data></xfa:datasets>");

        Assert.Throws<System.Xml.XmlException>(() => XfaDatasets.Parse(hostile));
    }

    [Fact]
    public async Task Javascript_and_a_launch_action_are_flagged_in_the_record()
    {
        var (result, pages) = await ExtractAsync(ScanCases.ActiveContentPdf("Quarterly maintenance report"), "report.pdf", DocumentKind.Pdf);

        Assert.Equal([PdfFindings.JavaScript, PdfFindings.Launch], result.ActiveContent);
        Assert.Equal("Quarterly maintenance report", Assert.Single(pages));
    }
}
