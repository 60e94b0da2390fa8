using System.Text;
using Kmrl.DocumentApi.Activities;
using Kmrl.DocumentApi.Extensions;
using Kmrl.DocumentApi.Processing;
using Microsoft.Extensions.Options;

namespace Kmrl.DocumentApi.Tests.Isolation;

/// <summary>
/// Issue 18: a 100 MiB text file peaked near 2 GiB while summarising. The summary and key fields come from the
/// first <c>MaxAnalysedChars</c> of the text, read as a stream, whatever the size of the text blob.
/// </summary>
public sealed class AnalysedTextCapTests
{
    [Fact]
    public async Task Summarising_a_long_text_reads_only_its_beginning_and_finds_the_fields_there()
    {
        var (store, _) = InMemoryBlobStorage.NewStore();
        var text = new StringBuilder("Work order WO-2026-88123 has been raised for the pantograph carbon strips.\n");
        while (text.Length < 3_000_000)
        {
            text.Append("The inspection of the track circuit between Aluva and Petta found nothing unusual today.\n");
        }
        text.Append("Purchase order PO 4500012345 covers the supply.\n");
        var blob = await TextBlobs.WriteAsync(store, "doc-long", text.ToString(), CancellationToken.None);
        var activity = new SummariseDocumentActivity(store, Options.Create(new DocumentProcessingOptions { MaxAnalysedChars = 1_000_000 }));

        var result = await activity.RunAsync(new TestActivityContext(), new SummariseInput("doc-long", blob, Languages.English, "log.txt"));

        Assert.Contains("2026-88123", Assert.Single(result.Fields.WorkOrders));
        Assert.Empty(result.Fields.PurchaseOrders);
        Assert.NotEmpty(result.Summary);
    }

    [Fact]
    public async Task A_prefix_read_stops_at_the_cap_and_a_short_text_is_read_whole()
    {
        var (store, _) = InMemoryBlobStorage.NewStore();
        var blob = await TextBlobs.WriteAsync(store, "doc-malayalam", "കൊച്ചി മെട്രോ " + new string('x', 50_000), CancellationToken.None);

        Assert.Equal(20_000, (await TextBlobs.ReadPrefixAsync(store, blob, 20_000, CancellationToken.None)).Length);
        Assert.Equal("കൊച്ചി മെട്രോ " + new string('x', 50_000), await TextBlobs.ReadPrefixAsync(store, blob, 1_000_000, CancellationToken.None));
    }
}
