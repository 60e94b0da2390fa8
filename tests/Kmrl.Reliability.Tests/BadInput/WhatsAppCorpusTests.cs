using System.Net;
using Kmrl.Reliability.Tests.Support;

namespace Kmrl.Reliability.Tests.BadInput;

/// <summary>
/// R3 against whatsapp-connector's production Program on the test sidecar with the fake Cloud API: forged and
/// malformed webhooks are refused and store nothing, duplicates are discovered once, bad media is skipped or
/// dead-lettered with its reason, and the connector stays up and still discovers a good document afterwards.
/// </summary>
public sealed class WhatsAppCorpusTests(WhatsAppCorpusFixture fixture) : IClassFixture<WhatsAppCorpusFixture>
{
    [Theory]
    [MemberData(nameof(WebhookCases.Table), MemberType = typeof(WebhookCases))]
    public async Task A_bad_webhook_gets_its_named_outcome(string caseName, string expected)
    {
        var actual = await fixture.OutcomeOfAsync(caseName);

        ReliabilityReport.Record("R3", "whatsapp-connector: " + caseName, actual, expected);
        Assert.Equal(expected, actual);
    }

    [Fact]
    public async Task After_the_corpus_the_connector_is_healthy_and_discovers_a_good_document()
    {
        await fixture.AllCases;
        var body = WebhookCases.DocumentBody(fixture.Cloud, "wamid.R3.AFTER", "after-the-corpus.pdf");

        var status = await fixture.DeliverAsync(body, WebhookCases.Sign(body, WebhookCases.AppSecret));
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while ((await fixture.DiscoveredAsync("wamid.R3.AFTER")).Count == 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(250);
        }
        using var health = await fixture.Http.GetAsync("/health");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Single(await fixture.DiscoveredAsync("wamid.R3.AFTER"));
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
    }
}
