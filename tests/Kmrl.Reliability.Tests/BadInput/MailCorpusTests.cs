using System.Net;
using System.Text;
using Kmrl.Reliability.Tests.Support;

namespace Kmrl.Reliability.Tests.BadInput;

/// <summary>R3 against email-connector with real Dovecot: malformed MIME, truncated base64, hostile names, filters.</summary>
public sealed class MailCorpusTests(MailCorpusFixture fixture) : IClassFixture<MailCorpusFixture>
{
    [Theory]
    [MemberData(nameof(MailCases.Table), MemberType = typeof(MailCases))]
    public async Task A_bad_mail_gets_its_named_outcome(string caseName, string expected)
    {
        var actual = await fixture.OutcomeOfAsync(caseName);

        ReliabilityReport.Record("R3", "email-connector: " + caseName, actual, expected);
        Assert.Equal(expected, actual);
    }

    [Theory]
    [InlineData("sync-request-for-a-mailbox-folder", "/connector/sources/r3/R3/sync", "202")]
    [InlineData("sync-request-for-a-mailbox-folder-escaped", "/connector/sources/r3%2FR3/sync", "202")]
    [InlineData("sync-request-for-an-unknown-folder", "/connector/sources/r3/Elsewhere/sync", "404")]
    public async Task An_operators_sync_request_reaches_a_mail_folder_though_its_source_name_holds_a_slash(string caseName, string path, string expected)
    {
        // Issue 18: every e-mail source is named mailbox/folder, and the route answered 404 for all of them.
        await fixture.AllCases;

        var actual = (await fixture.Probe.SyncByRouteAsync(path)).ToString(System.Globalization.CultureInfo.InvariantCulture);

        ReliabilityReport.Record("R3", "email-connector route: " + caseName, actual, expected);
        Assert.Equal(expected, actual);
    }

    [Fact]
    public async Task After_the_corpus_the_connector_is_healthy_and_reads_the_next_good_mail()
    {
        await fixture.AllCases;
        var good = Encoding.ASCII.GetBytes(
            "From: Signalling <signalling@kmrl.example>\r\nTo: records@kmrl.example\r\nMessage-ID: <after@r3.kmrl>\r\nSubject: After\r\n" +
            "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n--b1\r\nContent-Type: application/pdf\r\n" +
            "Content-Disposition: attachment; filename=\"after.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\n" +
            Convert.ToBase64String("%PDF-1.4\n% R3 after the corpus\n"u8.ToArray()) + "\r\n--b1--\r\n");

        var published = await fixture.DeliverAndRunAsync(good);
        using var health = await fixture.Http.GetAsync("/health");

        Assert.Equal(1, published);
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
    }
}
