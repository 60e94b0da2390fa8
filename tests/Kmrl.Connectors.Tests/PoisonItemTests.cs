using Kmrl.Connectors.Tests.Fakes;
using Kmrl.Contracts;

namespace Kmrl.Connectors.Tests;

/// <summary>
/// Issue 18: a failure the source knows is permanent (an FTP 5xx) is not asked again N times with backoff; the host
/// dead-letters the item at its first attempt, for every connector, announces it, and the checkpoint moves past it.
/// </summary>
public sealed class PoisonItemTests
{
    /// <summary>What a source's client throws for a refusal for good, e.g. FTP's 550 on RETR.</summary>
    private sealed class RefusedForGoodException(string message) : IOException(message), ISourceFailureKind
    {
        public bool IsPermanent => true;
    }

    [Fact]
    public async Task A_document_the_source_refuses_for_good_is_dead_lettered_at_its_first_attempt_and_the_next_one_arrives()
    {
        var clock = TimeProvider.System;
        var ports = new ConnectorPorts(clock);
        var refused = TestItem.Text("b", "no read permission") with { OnOpen = _ => throw new RefusedForGoodException("550 Permission denied") };
        var source = new TestSource("exports", [TestItem.Text("a", "fine"), refused, TestItem.Text("c", "fine too")]);
        await using var host = TestHost.Create(ports, clock, new Dictionary<string, string?> { ["Connector:MaxDocumentAttempts"] = "4" }, source);

        var result = await host.Runner.RunAsync(source, CancellationToken.None);

        Assert.Equal(1, source.Opens["b"]);
        var deadLetter = Assert.Single(ports.SkippedItems.DeadLetters);
        Assert.Equal(("b", 1), (deadLetter.SourceId, deadLetter.Attempts));
        Assert.Contains("550 Permission denied", deadLetter.Reason);
        Assert.Equal(["exports/a", "exports/c"], ports.Publisher.Of<DocumentDiscovered>().Select(e => e.SourceId));
        Assert.Equal("3", ports.Checkpoints.ValueOf(TestHost.Connector, "exports"));
        Assert.Equal(1, result.Counts.DeadLettered);
        // Announced for the notifications service, with the id GET /connector/dead-letters lists it under.
        var announced = Assert.Single(ports.Publisher.Of<ConnectorItemDeadLettered>());
        Assert.Equal((TestHost.Connector, "exports", "b", 1), (announced.Connector, announced.Source, announced.SourceId, announced.Attempts));
        Assert.Equal(Kmrl.Connectors.Dapr.StateKeys.DeadLetterId("exports", "b"), announced.DeadLetterId);
        Assert.Equal(deadLetter.DeadLetteredAt, announced.DeadLetteredAt);
    }

    [Fact]
    public void A_permanent_failure_inside_another_exception_is_permanent_and_not_transient()
    {
        var wrapped = new InvalidOperationException("download failed", new RefusedForGoodException("550"));

        Assert.True(SourceFailures.IsPermanent(wrapped));
        Assert.False(Kmrl.Connectors.Sync.TransientErrors.IsTransient(wrapped, CancellationToken.None));
        Assert.False(SourceFailures.IsPermanent(new IOException("connection reset")));
    }
}
