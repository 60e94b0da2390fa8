using Kmrl.Connectors.Sync;
using Kmrl.Connectors.Tests.Fakes;
using Kmrl.Contracts;

namespace Kmrl.Connectors.Tests;

public sealed class CheckpointTests
{
    private static readonly TimeProvider Clock = TimeProvider.System;

    [Fact]
    public async Task A_checkpoint_is_stored_only_after_every_document_before_it_is_published()
    {
        var ports = new ConnectorPorts(Clock);
        var source = TestSource.WithTextItems("inbox", 10, checkpointEvery: 3);
        var publishedAtSave = new List<(string Value, int Published)>();
        ports.Checkpoints.BeforeSave = (_, record) => publishedAtSave.Add((record.Value, ports.Publisher.Of<DocumentDiscovered>().Count));
        await using var host = TestHost.Create(ports, Clock, null, source);

        var result = await host.Runner.RunAsync(source, CancellationToken.None);

        Assert.Equal(SyncOutcome.Completed, result.Outcome);
        Assert.Equal(10, result.Counts.Discovered);
        Assert.Equal([("3", 3), ("6", 6), ("9", 9), ("10", 10)], publishedAtSave);
        Assert.Equal("10", ports.Checkpoints.ValueOf(TestHost.Connector, "inbox"));
        Assert.Equal(["3", "6", "9", "10"], source.CommittedAfter);
    }

    [Fact]
    public async Task A_runs_first_documents_go_on_the_interactive_topic_and_the_rest_of_an_import_on_the_bulk_topic()
    {
        var ports = new ConnectorPorts(Clock);
        var source = TestSource.WithTextItems("library", 8, checkpointEvery: 3);
        await using var host = TestHost.Create(ports, Clock, new Dictionary<string, string?> { ["Connector:InteractiveDocumentsPerRun"] = "5" }, source);

        var result = await host.Runner.RunAsync(source, CancellationToken.None);

        Assert.Equal(8, result.Counts.Discovered);
        var topics = ports.Publisher.Published.Where(p => p.Event is DocumentDiscovered).Select(p => p.Topic).ToList();
        Assert.Equal(Enumerable.Repeat(DaprNames.Topics.DocumentDiscovered, 5).Concat(Enumerable.Repeat(DaprNames.Topics.DocumentDiscoveredBulk, 3)), topics);
    }

    [Fact]
    public async Task A_failing_publish_leaves_the_checkpoint_before_the_unpublished_document()
    {
        var ports = new ConnectorPorts(Clock);
        var source = TestSource.WithTextItems("inbox", 6, checkpointEvery: 2);
        ports.Publisher.BeforePublish = (_, e) =>
        {
            if (e is DocumentDiscovered { SourceId: "inbox/item-0004" })
            {
                throw new InvalidOperationException("pub/sub is down");
            }
        };
        await using var host = TestHost.Create(ports, Clock, null, source);

        var result = await host.Runner.RunAsync(source, CancellationToken.None);

        Assert.Equal(SyncOutcome.Failed, result.Outcome);
        Assert.Contains("pub/sub is down", result.Error);
        // Items 1-3 were published, but the marker after item 4 was never reached: the stored checkpoint is "2".
        Assert.Equal(3, ports.Publisher.Of<DocumentDiscovered>().Count);
        Assert.Equal("2", ports.Checkpoints.ValueOf(TestHost.Connector, "inbox"));
        Assert.Equal(["2"], source.CommittedAfter);
    }

    [Fact]
    public async Task A_checkpoint_advanced_by_another_replica_stops_the_run_without_overwriting_it()
    {
        var ports = new ConnectorPorts(Clock);
        var source = TestSource.WithTextItems("inbox", 6, checkpointEvery: 2);
        var rivalWrote = false;
        ports.Checkpoints.BeforeSave = (sourceName, record) =>
        {
            if (record.Value == "4" && !rivalWrote)
            {
                rivalWrote = true;
                ports.Checkpoints.SaveAsAnotherReplica(TestHost.Connector, sourceName, "6");
            }
        };
        await using var host = TestHost.Create(ports, Clock, null, source);

        var result = await host.Runner.RunAsync(source, CancellationToken.None);

        Assert.Equal(SyncOutcome.CheckpointConflict, result.Outcome);
        Assert.Equal("6", ports.Checkpoints.ValueOf(TestHost.Connector, "inbox"));
        Assert.Equal(["2"], ports.Checkpoints.SavedValues);
        Assert.Equal(1, result.Counts.CheckpointsStored);
        // The run stopped at the conflict: items 5 and 6 are the other replica's, and "4"'s follow-up did not run.
        Assert.Equal(4, ports.Publisher.Of<DocumentDiscovered>().Count);
        Assert.Equal(["2"], source.CommittedAfter);
    }

    [Fact]
    public async Task A_crash_after_publish_before_the_checkpoint_republishes_with_the_same_idempotency_keys()
    {
        var ports = new ConnectorPorts(Clock);
        var source = TestSource.WithTextItems("inbox", 5, checkpointEvery: 5);
        var crashes = 1;
        // The process "dies" when it tries to store the checkpoint after publishing everything.
        ports.Checkpoints.BeforeSave = (_, _) =>
        {
            if (crashes-- > 0)
            {
                throw new InvalidOperationException("simulated crash");
            }
        };
        var settings = new Dictionary<string, string?> { ["Connector:MaxPublishAttempts"] = "1" };

        await using (var first = TestHost.Create(ports, Clock, settings, source))
        {
            var crashed = await first.Runner.RunAsync(source, CancellationToken.None);
            Assert.Equal(SyncOutcome.Failed, crashed.Outcome);
        }
        Assert.Null(ports.Checkpoints.ValueOf(TestHost.Connector, "inbox"));
        var firstKeys = ports.Publisher.Of<DocumentDiscovered>().Select(e => e.IdempotencyKey).ToList();
        Assert.Equal(5, firstKeys.Count);

        // Restart: a new host over the same stores.
        await using (var second = TestHost.Create(ports, Clock, settings, source))
        {
            var rerun = await second.Runner.RunAsync(source, CancellationToken.None);
            Assert.Equal(SyncOutcome.Completed, rerun.Outcome);
        }

        var all = ports.Publisher.Of<DocumentDiscovered>();
        Assert.Equal(10, all.Count);
        Assert.Equal(firstKeys, all.Skip(5).Select(e => e.IdempotencyKey));
        Assert.Equal(5, all.Select(e => e.IdempotencyKey).Distinct().Count());
        Assert.All(all, e => Assert.Equal(IdempotencyKey.For(e.Source, e.SourceId, e.Sha256), e.IdempotencyKey));
        Assert.Equal("5", ports.Checkpoints.ValueOf(TestHost.Connector, "inbox"));
        Assert.Equal([null, null], source.CheckpointsReadFrom);
    }

    [Fact]
    public async Task The_next_run_starts_from_the_stored_checkpoint()
    {
        var ports = new ConnectorPorts(Clock);
        var source = TestSource.WithTextItems("inbox", 4, checkpointEvery: 2);
        await using var host = TestHost.Create(ports, Clock, null, source);

        await host.Runner.RunAsync(source, CancellationToken.None);
        var second = await host.Runner.RunAsync(source, CancellationToken.None);

        Assert.Equal(SyncOutcome.Completed, second.Outcome);
        Assert.Equal(0, second.Counts.Discovered);
        Assert.Equal([null, "4"], source.CheckpointsReadFrom);
    }

    [Fact]
    public async Task Tombstones_publish_removals_with_the_same_qualified_source_id_as_discoveries()
    {
        var ports = new ConnectorPorts(Clock);
        var source = new TestSource("drive", [TestItem.Text("a", "x"), TestItem.Removed("a")]);
        await using var host = TestHost.Create(ports, Clock, null, source);

        var result = await host.Runner.RunAsync(source, CancellationToken.None);

        Assert.Equal(SyncOutcome.Completed, result.Outcome);
        var discovered = Assert.Single(ports.Publisher.Of<DocumentDiscovered>());
        var removed = Assert.Single(ports.Publisher.Of<DocumentRemovedAtSource>());
        Assert.Equal("drive/a", discovered.SourceId);
        Assert.Equal(discovered.SourceId, removed.SourceId);
        Assert.Equal(TestHost.Connector, removed.Source);
        Assert.Equal("deleted", removed.Reason);
        Assert.Equal(DaprNames.Topics.DocumentRemovedAtSource, ports.Publisher.Published[1].Topic);
    }

    [Fact]
    public async Task A_failing_after_commit_step_is_logged_and_the_run_goes_on()
    {
        var ports = new ConnectorPorts(Clock);
        var afterCommitCalls = 0;
        var source = new CommitFollowUpSource(() =>
        {
            afterCommitCalls++;
            throw new IOException("could not move the mail to Processed");
        });
        await using var host = TestHost.Create(ports, Clock, null, source);

        var result = await host.Runner.RunAsync(source, CancellationToken.None);

        Assert.Equal(SyncOutcome.Completed, result.Outcome);
        Assert.Equal(2, afterCommitCalls);
        Assert.Equal("b", ports.Checkpoints.ValueOf(TestHost.Connector, "mail"));
        Assert.Equal(2, ports.Publisher.Of<DocumentDiscovered>().Count);
    }

    private sealed class CommitFollowUpSource(Action afterCommit) : IDocumentSource
    {
        public string Name => "mail";

        public async IAsyncEnumerable<SourceChange> ReadChangesAsync(string? checkpoint, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
        {
            foreach (var id in new[] { "a", "b" })
            {
                yield return new SourceDocument(id, id + ".eml", "message/rfc822", 3, new Dictionary<string, string>(),
                    _ => Task.FromResult<Stream>(new MemoryStream([1, 2, 3])));
                yield return new SourceCheckpoint(id, _ =>
                {
                    afterCommit();
                    return Task.CompletedTask;
                });
            }
            await Task.CompletedTask;
        }
    }
}
