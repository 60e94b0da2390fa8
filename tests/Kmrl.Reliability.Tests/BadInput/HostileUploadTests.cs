using Xunit.Abstractions;
using Kmrl.Reliability.Tests.Support;

namespace Kmrl.Reliability.Tests.BadInput;

/// <summary>
/// R3, issue 18: documents built to crash or stall document-api get a named outcome from a service that stays up,
/// and the next good document is processed. document-api runs as a child process, so that a build where a case
/// still kills it fails here with <c>service-died</c> instead of taking the test run down.
/// </summary>
public sealed class HostileUploadTests(HostileUploadFixture fixture, ITestOutputHelper output) : IClassFixture<HostileUploadFixture>
{
    [Theory]
    [MemberData(nameof(HostileUploadCases.Table), MemberType = typeof(HostileUploadCases))]
    public void A_hostile_upload_gets_its_named_outcome_from_a_service_that_stays_up(string caseName, string expected)
    {
        var actual = fixture.OutcomeOf(caseName);

        ReliabilityReport.Record("R3", "document-api (child process): " + caseName, actual, expected);
        if (actual != expected)
        {
            fixture.Tail.WriteTo(output);
        }
        Assert.Equal(expected, actual);
    }

    [Theory]
    [MemberData(nameof(HostileUploadCases.Names), MemberType = typeof(HostileUploadCases))]
    public void The_good_document_right_after_each_hostile_upload_is_processed(string caseName)
    {
        var actual = fixture.GoodDocumentAfterCase(caseName);

        ReliabilityReport.Record("R3", "document-api (child process): good document after " + caseName, actual, "processed");
        Assert.Equal("processed", actual);
    }

    [Fact]
    public void After_the_hostile_uploads_the_service_is_alive_and_processes_a_good_document()
    {
        ReliabilityReport.Record("R3", "document-api (child process): good document after the hostile ones", fixture.GoodDocumentAfter, "processed");
        Assert.Equal("processed", fixture.GoodDocumentAfter);
        Assert.True(fixture.ServiceAliveAfter);
    }
}
