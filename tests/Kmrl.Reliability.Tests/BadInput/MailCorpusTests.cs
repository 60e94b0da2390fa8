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
