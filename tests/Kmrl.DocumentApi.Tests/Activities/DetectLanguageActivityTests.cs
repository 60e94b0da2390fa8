using Kmrl.DocumentApi.Activities;
using Kmrl.DocumentApi.Processing;

namespace Kmrl.DocumentApi.Tests.Activities;

public sealed class DetectLanguageActivityTests
{
    [Theory]
    [InlineData("The train service between Aluva and Thrippunithura resumes at 6 am.", Languages.English)]
    [InlineData("ആലുവ മുതൽ തൃപ്പൂണിത്തുറ വരെ ട്രെയിൻ സർവീസ് രാവിലെ ആറിന് പുനരാരംഭിക്കും.", Languages.Malayalam)]
    [InlineData("Safety circular: എല്ലാ ജീവനക്കാരും ജാഗ്രത പാലിക്കണം. Please comply.", Languages.Mixed)]
    [InlineData("12/11/2026 — 4471 — ₹ 5,000", Languages.Undetermined)]
    public void Language_follows_the_share_of_malayalam_letters(string text, string expected)
    {
        Assert.Equal(expected, LanguageDetector.Detect(text).Language);
    }

    [Fact]
    public async Task Each_page_gets_its_own_language_and_the_document_gets_the_overall_one()
    {
        var (store, _) = InMemoryBlobStorage.NewStore();
        var text = "Minutes of the board meeting held at the KMRL office." + ExtractedText.PageSeparator
                   + "ഡയറക്ടർ ബോർഡ് യോഗത്തിന്റെ മിനിറ്റ്സ് അംഗീകരിച്ചു. പുതിയ ഡിപ്പോ നിർമ്മാണത്തിന് അനുമതി നൽകി.";
        var blob = await TextBlobs.WriteAsync(store, "doc-lang", text, CancellationToken.None);

        var result = await new DetectLanguageActivity(store).RunAsync(new TestActivityContext(), new LanguageInput("doc-lang", blob));

        Assert.Equal([Languages.English, Languages.Malayalam], result.Pages.Select(p => p.Language));
        Assert.Equal([1, 2], result.Pages.Select(p => p.Page));
        Assert.Equal(Languages.Mixed, result.Language);
        Assert.InRange(result.MalayalamRatio, 0.2, 0.8);
    }

    [Fact]
    public async Task A_document_without_text_is_undetermined()
    {
        var (store, _) = InMemoryBlobStorage.NewStore();

        var result = await new DetectLanguageActivity(store).RunAsync(new TestActivityContext(), new LanguageInput("doc-none", null));

        Assert.Equal(Languages.Undetermined, result.Language);
        Assert.Empty(result.Pages);
    }

    [Fact]
    public void Old_style_chillu_sequences_are_folded_to_atomic_chillus()
    {
        Assert.Equal("സർക്കുലർ", MalayalamText.Normalise("സര്\u200dക്കുലര്\u200d"));
    }
}
