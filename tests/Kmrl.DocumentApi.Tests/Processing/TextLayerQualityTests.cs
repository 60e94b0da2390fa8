using Kmrl.DocumentApi.Adapters;
using Kmrl.DocumentApi.Processing;

namespace Kmrl.DocumentApi.Tests.Processing;

/// <summary>
/// The per-page decision between text layer, OCR and both, and script detection for every Indic script (issue 17),
/// on text alone: no tools, milliseconds each.
/// </summary>
public sealed class TextLayerQualityTests
{
    [Fact]
    public void A_layer_of_control_characters_is_broken_and_goes_to_ocr()
    {
        // What PdfPig reads from a legacy-font Malayalam line: glyph codes 1..25 taken for characters.
        var layer = "Circular No 42 of 2026 issued by the KMRL office\n\u0001\u0002\u0003\u0004\u0003\u0005 \u0006\u0007\u0008\u0009\u0004\u000A\u000B";

        var verdict = TextLayerQuality.Judge(layer, 16, ["NotoSansMalayalam-Regular"]);

        Assert.Equal(PageSources.Ocr, verdict.Source);
        Assert.StartsWith("broken text layer: ", verdict.Reason);
        Assert.Contains("control or private-use characters", verdict.Reason);
        Assert.Contains("font NotoSansMalayalam-Regular has no ToUnicode map", verdict.Reason);
    }

    [Fact]
    public void A_layer_of_private_use_characters_is_broken()
    {
        var metrics = TextLayerQuality.Measure("\uE001\uE002\uE013 \uE044\uE005 ok");

        Assert.True(metrics.BadShare > TextLayerQuality.MaxBadShare);
    }

    [Theory]
    [InlineData("ആലുവ മുതൽ തൃപ്പൂണിത്തുറ വരെ ട്രെയിൻ സർവീസ് പുനരാരംഭിക്കും")]
    [InlineData("आलुवा डिपो की निविदा बारह मार्च को बंद होगी")]
    [InlineData("ஆலுவா பணிமனை ஒப்பந்தம் மார்ச் பன்னிரண்டு")]
    [InlineData("ಆಲುವಾ ಡಿಪೋ ಟೆಂಡರ್ ಮಾರ್ಚ್ ಹನ್ನೆರಡು")]
    public void Well_formed_indic_syllables_are_not_broken(string text)
    {
        Assert.Equal(0, TextLayerQuality.Measure(text).BrokenSyllableShare);
        Assert.Equal(PageSources.TextLayer, TextLayerQuality.Judge(text, 16, []).Source);
    }

    [Fact]
    public void Vowel_signs_with_no_consonant_before_them_are_a_broken_layer()
    {
        // Glyph codes of a legacy font that happen to land in the Malayalam block: signs at word starts and doubled.
        var layer = "ാിീ ുൂൃ െേൈ ൊോൌ ്ാ ംഃ ിു കാ";

        var verdict = TextLayerQuality.Judge(layer, 16, []);

        Assert.Equal(PageSources.Ocr, verdict.Source);
        Assert.Contains("of the Indic signs attach to no letter", verdict.Reason);
    }

    [Fact]
    public void A_short_clean_layer_is_kept_and_ocr_adds_to_it()
    {
        var verdict = TextLayerQuality.Judge("Ref 42", 16, []);

        Assert.Equal(PageSources.Both, verdict.Source);
        Assert.True(verdict.NeedsOcr);
        Assert.Equal("Ref 42\nThe tender closes on Friday", TextLayerQuality.Combine("Ref 42", "Ref 42\nThe tender closes on Friday\n"));
    }

    [Fact]
    public void An_empty_page_is_ocr_with_no_text_layer_as_the_reason()
    {
        Assert.Equal(new TextLayerVerdict(PageSources.Ocr, "no text layer", true, false), TextLayerQuality.Judge("  \n ", 16, []));
    }

    [Fact]
    public void A_layer_in_a_font_without_tounicode_is_checked_against_ocr_and_kept_replaced_or_combined_by_agreement()
    {
        const string layer = "The Aluva depot tender closes on the twelfth of March";
        var suspect = TextLayerQuality.Judge(layer, 16, ["F1"]);
        Assert.True(suspect.VerifyWithOcr);

        var agreeing = TextLayerQuality.Verified(suspect, TextLayerQuality.Agreement(layer, "The Aluva depot tender closes on the twelfth of March."));
        var disagreeing = TextLayerQuality.Verified(suspect, TextLayerQuality.Agreement("tIm¨n sabn tdbn en an", "കൊച്ചി മെട്രോ റെയിൽ"));
        var partly = TextLayerQuality.Verified(suspect, 0.3);

        Assert.Equal(PageSources.TextLayer, agreeing.Source);
        Assert.Contains("OCR agrees with 100% of its words", agreeing.Reason);
        Assert.Equal(PageSources.Ocr, disagreeing.Source);
        Assert.Contains("OCR agrees with only 0% of its words", disagreeing.Reason);
        Assert.Equal(PageSources.Both, partly.Source);
    }

    [Theory]
    [InlineData("en", "Latn")]
    [InlineData("hi", "Deva")]
    [InlineData("ta", "Taml")]
    [InlineData("ml", "Mlym")]
    [InlineData("bn", "Beng")]
    [InlineData("kn", "Knda")]
    [InlineData("te", "Telu")]
    public void Each_script_sample_is_named_by_its_language_and_script(string language, string script)
    {
        var page = LanguageDetector.DetectPage(1, ScanCases.ScriptSamples[language].Text);

        Assert.Equal(language, page.Language);
        Assert.Equal(script, page.Script);
        Assert.Equal([language], page.Languages);
    }

    [Theory]
    [InlineData("અમદાવાદ મેટ્રો રેલ નિગમ", "gu")]
    [InlineData("ਅੰਮ੍ਰਿਤਸਰ ਮੈਟਰੋ ਰੇਲ", "pa")]
    [InlineData("ଭୁବନେଶ୍ୱର ମେଟ୍ରୋ ରେଳ", "or")]
    public void Gujarati_gurmukhi_and_oriya_are_named_too(string text, string language)
    {
        Assert.Equal(language, LanguageDetector.Detect(text).Language);
    }

    [Fact]
    public void A_hindi_and_english_circular_is_mixed_and_names_both_languages()
    {
        var page = LanguageDetector.DetectPage(1, "Office Memorandum / कार्यालय ज्ञापन: Ministry of Housing and Urban Affairs / आवासन और शहरी कार्य मंत्रालय");

        Assert.Equal(Languages.Mixed, page.Language);
        Assert.Equal(["en", "hi"], page.Languages!.Order());
    }

    [Fact]
    public void Osd_output_gives_the_turn_its_confidence_and_the_script()
    {
        var osd = TesseractOcrEngine.ParseOsd("Page number: 0\nOrientation in degrees: 270\nRotate: 90\nOrientation confidence: 10.82\nScript: Malayalam\nScript confidence: 2.11\n");

        Assert.Equal(new TesseractOcrEngine.Orientation(90, 10.82, "Malayalam"), osd);
        Assert.Null(TesseractOcrEngine.ParseOsd("Too few characters. Skipping this page\n"));
        Assert.Equal(Scripts.Malayalam, Scripts.ByOsdName(osd!.Script!));
    }

    [Fact]
    public void Page_confidence_is_the_mean_of_the_word_confidences_in_tesseracts_tsv()
    {
        string[] tsv =
        [
            "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext",
            "1\t1\t0\t0\t0\t0\t0\t0\t100\t100\t-1\t",
            "5\t1\t1\t1\t1\t1\t0\t0\t10\t10\t90.5\tKochi",
            "5\t1\t1\t1\t1\t2\t0\t0\t10\t10\t70.5\tMetro",
            "5\t1\t1\t1\t1\t3\t0\t0\t10\t10\t95\t ",
        ];

        Assert.Equal(80.5, TesseractOcrEngine.MeanConfidence(tsv));
    }

    [Fact]
    public void Pdffonts_rows_name_the_embedded_fonts_without_tounicode()
    {
        const string table = """
            name                                 type              encoding         emb sub uni object ID
            ------------------------------------ ----------------- ---------------- --- --- --- ---------
            Helvetica                            Type 1            Standard         no  no  no       4  0
            ABCDEF+ML-TT-Karthika                TrueType          WinAnsi          yes yes no       7  0
            GHIJKL+NotoSans                      CID TrueType      Identity-H       yes yes yes      9  0
            """;

        Assert.Equal(["ABCDEF+ML-TT-Karthika"], PopplerQpdfTools.ParseUnmappedFonts(table));
    }
}
