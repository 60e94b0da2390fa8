using System.Net;
using Kmrl.Reliability.Tests.Support;

namespace Kmrl.Reliability.Tests.BadInput;

/// <summary>R3 against maximo-connector (REST) with FakeMaximo: 5xx and 401 answers, refused attachments, recovery.</summary>
public sealed class MaximoCorpusTests(MaximoCorpusFixture fixture) : IClassFixture<MaximoCorpusFixture>
{
    [Theory]
    [MemberData(nameof(MaximoCorpusFixture.Table), MemberType = typeof(MaximoCorpusFixture))]
    public async Task A_failing_maximo_or_a_bad_attachment_gets_its_named_outcome(string caseName, string expected)
    {
        var actual = await fixture.Scenario.OutcomeOfAsync(caseName);

        ReliabilityReport.Record("R3", "maximo-connector: " + caseName, actual, expected);
        Assert.Equal(expected, actual);
    }

    [Fact]
    public async Task After_the_failures_the_connector_is_healthy_and_every_good_attachment_was_discovered_once()
    {
        await fixture.Scenario.Completion;
        using var health = await fixture.Http.GetAsync("/health");
        var discovered = await fixture.Probe.DiscoveredAsync();

        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        foreach (var name in new[] { "pump-inspection.pdf", "bogie-report.pdf", "hvac-checklist.pdf", "escalator-log.pdf", "after-elsewhere.pdf" })
        {
            Assert.Single(discovered, d => d.FileName == name);
        }
    }
}
