using System.Net;
using Kmrl.Reliability.Tests.Support;

namespace Kmrl.Reliability.Tests.BadInput;

/// <summary>R3 against sharepoint-connector with FakeGraph: 410 resync, 429 storm, items that are not documents.</summary>
public sealed class SharePointCorpusTests(SharePointCorpusFixture fixture) : IClassFixture<SharePointCorpusFixture>
{
    [Theory]
    [MemberData(nameof(SharePointCorpusFixture.Table), MemberType = typeof(SharePointCorpusFixture))]
    public async Task A_failing_graph_or_an_odd_item_gets_its_named_outcome(string caseName, string expected)
    {
        var actual = await fixture.Scenario.OutcomeOfAsync(caseName);

        ReliabilityReport.Record("R3", "sharepoint-connector: " + caseName, actual, expected);
        Assert.Equal(expected, actual);
    }

    [Fact]
    public async Task After_the_failures_the_connector_is_healthy_and_every_file_has_one_identity()
    {
        await fixture.Scenario.Completion;
        using var health = await fixture.Http.GetAsync("/health");
        var discovered = await fixture.Probe.DiscoveredAsync();

        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        // Re-reads after the resync repeat events, never identities: one idempotency key per file.
        Assert.Equal(4, discovered.Select(d => d.IdempotencyKey).Distinct().Count());
        Assert.Equal(4, discovered.Select(d => d.FileName).Distinct().Count());
    }
}
