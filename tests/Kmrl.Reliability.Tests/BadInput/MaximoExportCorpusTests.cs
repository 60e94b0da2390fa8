using Kmrl.Reliability.Tests.Support;

namespace Kmrl.Reliability.Tests.BadInput;

/// <summary>R3 against maximo-connector's export folder on real pure-ftpd: a poison file, and the good ones after it.</summary>
public sealed class MaximoExportCorpusTests(MaximoExportCorpusFixture fixture) : IClassFixture<MaximoExportCorpusFixture>
{
    [Theory]
    [MemberData(nameof(MaximoExportCorpusFixture.Table), MemberType = typeof(MaximoExportCorpusFixture))]
    public async Task An_unreadable_export_is_dead_lettered_once_and_the_good_exports_after_it_arrive(string caseName, string expected)
    {
        var actual = await fixture.Scenario.OutcomeOfAsync(caseName);

        ReliabilityReport.Record("R3", "maximo-connector (ftp export): " + caseName, actual, expected);
        Assert.Equal(expected, actual);
    }
}
