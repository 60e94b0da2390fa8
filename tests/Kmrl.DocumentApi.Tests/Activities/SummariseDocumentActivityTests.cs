using Kmrl.DocumentApi.Activities;
using Kmrl.DocumentApi.Extensions;
using Kmrl.DocumentApi.Processing;
using Microsoft.Extensions.Options;

namespace Kmrl.DocumentApi.Tests.Activities;

public sealed class SummariseDocumentActivityTests
{
    private const string WorkOrderLetter = """
        Subject: Replacement of pantograph carbon strips on trainset TS-07.
        The rolling stock team inspected trainset TS-07 at Muttom depot on 12/11/2026 and found worn pantograph carbon strips.
        Work order WO-2026-88123 has been raised for the replacement of the pantograph carbon strips.
        Purchase order PO 4500012345 covers the supply of twelve carbon strips at ₹ 1,25,000 including taxes.
        The vendor shall deliver the carbon strips on or before 05/12/2026 to the Muttom depot stores.
        Invoice No. VEN/2026/118 for Rs. 42,500 relating to the previous supply is pending approval.
        Services between Aluva and MG Road will run with trainset 12 while the work is done.
        """;

    [Fact]
    public void Key_fields_are_found_in_an_english_letter()
    {
        var fields = KeyFieldExtractor.Extract(WorkOrderLetter);

        Assert.Equal([new DateOnly(2026, 11, 12), new DateOnly(2026, 12, 5)], fields.Dates);
        Assert.Equal([new DateOnly(2026, 12, 5)], fields.Deadlines);
        Assert.Contains("2026-88123", fields.WorkOrders.Single());
        Assert.Equal(["4500012345"], fields.PurchaseOrders);
        Assert.Equal(["VEN/2026/118"], fields.Invoices);
        Assert.Equal(["INR 125000", "INR 42500"], fields.Amounts);
        Assert.Equal(["Aluva", "Muttom", "MG Road"], fields.Stations);
        Assert.Equal(["TS-07", "TS-12"], fields.TrainSets);
    }

    [Fact]
    public void Malayalam_deadlines_and_station_names_are_found()
    {
        var fields = KeyFieldExtractor.Extract("എല്ലാ ജീവനക്കാരും 20/12/2026 ന് മുമ്പ് വൈറ്റില സ്റ്റേഷനിൽ റിപ്പോർട്ട് ചെയ്യണം. തുക INR 2.5 lakh.");

        Assert.Equal([new DateOnly(2026, 12, 20)], fields.Deadlines);
        Assert.Equal(["Vyttila"], fields.Stations);
        Assert.Equal(["INR 2.5 lakh"], fields.Amounts);
    }

    [Fact]
    public void Dates_written_with_month_names_are_read_day_first_or_month_first()
    {
        var fields = KeyFieldExtractor.Extract("Meeting on 3rd March 2027. Reply due by January 15, 2027.");

        Assert.Equal([new DateOnly(2027, 3, 3), new DateOnly(2027, 1, 15)], fields.Dates);
        Assert.Equal([new DateOnly(2027, 1, 15)], fields.Deadlines);
    }

    [Fact]
    public void Impossible_dates_are_ignored()
    {
        Assert.Empty(KeyFieldExtractor.Extract("Reading 31/02/2026 and version 1.2.3 and 45/13/2026").Dates);
    }

    [Fact]
    public async Task The_summary_keeps_the_strongest_sentences_in_reading_order_within_the_budget()
    {
        var (store, _) = InMemoryBlobStorage.NewStore();
        var blob = await TextBlobs.WriteAsync(store, "doc-sum", WorkOrderLetter, CancellationToken.None);
        var activity = new SummariseDocumentActivity(store, Options.Create(new DocumentProcessingOptions { SummaryMaxChars = 300 }));

        var result = await activity.RunAsync(new TestActivityContext(), new SummariseInput("doc-sum", blob, Languages.English, "letter.pdf"));

        Assert.InRange(result.Summary.Length, 100, 300);
        Assert.Contains("pantograph carbon strips", result.Summary);
        var sentences = ExtractiveSummariser.SplitSentences(WorkOrderLetter);
        var positions = sentences.Where(result.Summary.Contains).Select(s => result.Summary.IndexOf(s, StringComparison.Ordinal)).ToList();
        Assert.True(positions.Count >= 1);
        Assert.Equal(positions.Order(), positions);
        Assert.Equal(["TS-07", "TS-12"], result.Fields.TrainSets);
    }

    [Fact]
    public void A_malayalam_document_gets_a_malayalam_summary()
    {
        var text = "സുരക്ഷാ സർക്കുലർ നമ്പർ 14. എല്ലാ സ്റ്റേഷൻ കൺട്രോളർമാരും അഗ്നിശമന സംവിധാനങ്ങൾ ദിവസവും പരിശോധിക്കണം. "
                   + "ആലുവ, വൈറ്റില സ്റ്റേഷനുകളിൽ പ്രത്യേക പരിശോധന നടത്തണം. പരിശോധന റിപ്പോർട്ട് 20/12/2026 ന് മുമ്പ് സമർപ്പിക്കണം.";

        var summary = ExtractiveSummariser.Summarise(text, Languages.Malayalam, 200);

        Assert.InRange(summary.Length, 20, 200);
        Assert.Equal(Languages.Malayalam, LanguageDetector.Detect(summary).Language);
    }

    [Fact]
    public async Task A_document_without_text_has_an_empty_summary_and_no_fields()
    {
        var (store, _) = InMemoryBlobStorage.NewStore();

        var result = await new SummariseDocumentActivity(store, Options.Create(new DocumentProcessingOptions()))
            .RunAsync(new TestActivityContext(), new SummariseInput("doc-empty", null, Languages.Undetermined, "old.doc"));

        Assert.Equal(string.Empty, result.Summary);
        Assert.Same(KeyFields.None, result.Fields);
    }
}
