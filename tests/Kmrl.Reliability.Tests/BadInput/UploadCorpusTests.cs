using System.Net;
using Kmrl.Reliability.Tests.Support;

namespace Kmrl.Reliability.Tests.BadInput;

/// <summary>
/// R3 against document-api's production Program on the test sidecar: every generated bad upload gets the outcome
/// the service is designed to give, the service keeps answering, refused uploads leave no blob behind, and good
/// documents sent before and after the corpus are processed.
/// </summary>
public sealed class UploadCorpusTests(UploadCorpusFixture fixture) : IClassFixture<UploadCorpusFixture>
{
    [Theory]
    [MemberData(nameof(UploadCases.Table), MemberType = typeof(UploadCases))]
    public async Task A_bad_upload_gets_its_named_outcome(string caseName, string expected)
    {
        var actual = await fixture.OutcomeOfAsync(caseName);

        ReliabilityReport.Record("R3", "document-api: " + caseName, actual, expected);
        Assert.Equal(expected, actual);
    }

    [Fact]
    public async Task After_the_corpus_the_service_is_healthy_keeps_no_refused_blob_and_processes_good_documents()
    {
        await fixture.AllCases;
        var before = await fixture.GoodDocumentBefore;
        var after = await fixture.UploadGoodDocumentAsync("after the corpus");
        using var http = fixture.Host.CreateClient(apiKey: null);
        using var health = await http.GetAsync("/health");

        // Blobs are named upload-<uploadId>-<n>...: any other upload id is a refused upload that left content behind.
        var accepted = fixture.AcceptedUploadIds.ToHashSet(StringComparer.Ordinal);
        var leftovers = Directory.EnumerateFiles(fixture.Host.Environment.BlobRoot, "upload-*", SearchOption.AllDirectories)
            .Select(Path.GetFileName)
            .Where(name => !accepted.Any(id => name!.StartsWith("upload-" + id + "-", StringComparison.Ordinal)))
            .ToList();

        ReliabilityReport.Record("R3", "document-api: good documents before / after the corpus", $"{before} / {after}", "processed / processed");
        ReliabilityReport.Record("R3", "document-api: blobs left by refused uploads", leftovers.Count.ToString(System.Globalization.CultureInfo.InvariantCulture), "0");
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.Equal("processed", before);
        Assert.Equal("processed", after);
        Assert.Empty(leftovers);
    }
}
