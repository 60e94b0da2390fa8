using Kmrl.Connectors.Sync;
using Kmrl.Connectors.Tests.Fakes;
using Kmrl.Contracts;
using Microsoft.Extensions.DependencyInjection;

namespace Kmrl.Connectors.Tests;

/// <summary>
/// A push source through the host: the webhook enqueues, the same runner drains the inbox with the same attempts,
/// filters and dead letters as a pull source, and an item leaves the inbox only after the checkpoint behind it.
/// </summary>
public sealed class InboxTests
{
    private static ContractHost Host(ConnectorPorts ports, TestInboxSource source, IDictionary<string, string?>? settings = null) =>
        TestHost.Create(ports, TimeProvider.System, settings, services =>
        {
            services.AddSingleton(source);
            services.AddInboxSource<TestInboxSource, TestInboxItem>();
        });

    private static IDocumentSource Drained(ContractHost host) => host.Get<IEnumerable<IDocumentSource>>().Single();

    [Fact]
    public async Task An_enqueued_item_is_handed_on_and_leaves_the_inbox_and_a_redelivery_is_a_duplicate_even_afterwards()
    {
        var ports = new ConnectorPorts(TimeProvider.System);
        var source = new TestInboxSource();
        await using var host = Host(ports, source);
        var inbox = host.Get<ISourceInbox>();

        Assert.True(await inbox.EnqueueAsync(source.Name, "wamid.1", new TestInboxItem("report.txt", "hello"), CancellationToken.None));
        Assert.False(await inbox.EnqueueAsync(source.Name, "wamid.1", new TestInboxItem("report.txt", "hello"), CancellationToken.None));
        var result = await host.Runner.RunAsync(Drained(host), CancellationToken.None);

        Assert.Equal(SyncOutcome.Completed, result.Outcome);
        var discovered = Assert.Single(ports.Publisher.Of<DocumentDiscovered>());
        Assert.Equal("hook/wamid.1", discovered.SourceId);
        Assert.Equal("report.txt", discovered.FileName);
        Assert.False(ports.Inbox.IsPending(source.Name, "wamid.1"));
        Assert.Contains("wamid.1", ports.Checkpoints.ValueOf(TestHost.Connector, source.Name));
        // Meta redelivers a webhook it saw fail for days: the item is known, so nothing is handed on twice.
        Assert.False(await inbox.EnqueueAsync(source.Name, "wamid.1", new TestInboxItem("report.txt", "hello"), CancellationToken.None));
        var again = await host.Runner.RunAsync(Drained(host), CancellationToken.None);
        Assert.Equal(0, again.Counts.Discovered);
        Assert.Single(ports.Publisher.Of<DocumentDiscovered>());
    }

    [Fact]
    public async Task An_item_whose_content_keeps_failing_gets_the_hosts_attempts_then_a_dead_letter_and_the_next_items_still_flow()
    {
        var ports = new ConnectorPorts(TimeProvider.System);
        var source = new TestInboxSource();
        await using var host = Host(ports, source, new Dictionary<string, string?> { ["Connector:MaxDocumentAttempts"] = "3" });
        var inbox = host.Get<ISourceInbox>();
        await inbox.EnqueueAsync(source.Name, "bad", new TestInboxItem("bad.txt", "x", FailOpens: -1), CancellationToken.None);
        await inbox.EnqueueAsync(source.Name, "flaky", new TestInboxItem("flaky.txt", "y", FailOpens: 1), CancellationToken.None);

        var result = await host.Runner.RunAsync(Drained(host), CancellationToken.None);

        Assert.Equal(SyncOutcome.Completed, result.Outcome);
        Assert.Equal(3, source.Opens["bad"]);
        Assert.Equal(2, source.Opens["flaky"]);
        var deadLetter = Assert.Single(ports.SkippedItems.DeadLetters);
        Assert.Equal(("bad", "bad.txt", 3), (deadLetter.SourceId, deadLetter.FileName, deadLetter.Attempts));
        Assert.Contains("open 3 of bad failed", deadLetter.Reason);
        Assert.Equal(["hook/flaky"], ports.Publisher.Of<DocumentDiscovered>().Select(e => e.SourceId));
        Assert.False(ports.Inbox.IsPending(source.Name, "bad"));
        Assert.False(ports.Inbox.IsPending(source.Name, "flaky"));

        // Dead-lettered means moved past: the next run does not try it again.
        await host.Runner.RunAsync(Drained(host), CancellationToken.None);
        Assert.Equal(3, source.Opens["bad"]);
    }

    [Fact]
    public async Task An_item_the_source_reports_unreadable_is_dead_lettered_with_its_reason_without_an_open()
    {
        var ports = new ConnectorPorts(TimeProvider.System);
        var source = new TestInboxSource();
        await using var host = Host(ports, source);
        await host.Get<ISourceInbox>().EnqueueAsync(source.Name, "old", new TestInboxItem("old.txt", "x", Unreadable: "media older than the retention"), CancellationToken.None);

        var result = await host.Runner.RunAsync(Drained(host), CancellationToken.None);

        Assert.Equal(1, result.Counts.DeadLettered);
        Assert.Equal("media older than the retention", Assert.Single(ports.SkippedItems.DeadLetters).Reason);
        Assert.False(source.Opens.ContainsKey("old"));
        Assert.False(ports.Inbox.IsPending(source.Name, "old"));
    }

    [Fact]
    public async Task A_rejected_item_is_recorded_by_the_hosts_filters_and_leaves_the_inbox()
    {
        var ports = new ConnectorPorts(TimeProvider.System);
        var source = new TestInboxSource();
        await using var host = Host(ports, source);
        await host.Get<ISourceInbox>().EnqueueAsync(source.Name, "exe", new TestInboxItem("setup.exe", "MZ"), CancellationToken.None);

        var result = await host.Runner.RunAsync(Drained(host), CancellationToken.None);

        Assert.Equal(1, result.Counts.Rejected);
        Assert.Contains(".exe", Assert.Single(ports.SkippedItems.Rejected).Reason);
        Assert.False(ports.Inbox.IsPending(source.Name, "exe"));
    }

    [Fact]
    public async Task When_pub_sub_is_down_the_run_fails_and_the_item_stays_in_the_inbox_for_the_next_run()
    {
        var ports = new ConnectorPorts(TimeProvider.System);
        var source = new TestInboxSource();
        await using var host = Host(ports, source);
        await host.Get<ISourceInbox>().EnqueueAsync(source.Name, "m1", new TestInboxItem("a.txt", "a"), CancellationToken.None);
        ports.Publisher.BeforePublish = (_, _) => throw new InvalidOperationException("pubsub unavailable");

        var failed = await host.Runner.RunAsync(Drained(host), CancellationToken.None);
        Assert.Equal(SyncOutcome.Failed, failed.Outcome);
        Assert.True(ports.Inbox.IsPending(source.Name, "m1"));
        Assert.Empty(ports.SkippedItems.DeadLetters);

        ports.Publisher.BeforePublish = null;
        var recovered = await host.Runner.RunAsync(Drained(host), CancellationToken.None);
        Assert.Equal(1, recovered.Counts.Discovered);
        Assert.False(ports.Inbox.IsPending(source.Name, "m1"));
    }

    [Fact]
    public async Task Enqueuing_asks_for_a_sync_of_the_source_only_when_the_item_is_new()
    {
        var ports = new ConnectorPorts(TimeProvider.System);
        var source = new TestInboxSource();
        await using var host = Host(ports, source);
        var requests = new RecordingRequests();
        var inbox = new SourceInbox(ports.Inbox, requests, host.Get<Microsoft.Extensions.Options.IOptions<Hosting.ConnectorHostOptions>>(), TimeProvider.System);

        await inbox.EnqueueAsync(source.Name, "m1", new TestInboxItem("a.txt", "a"), CancellationToken.None);
        await inbox.EnqueueAsync(source.Name, "m1", new TestInboxItem("a.txt", "a"), CancellationToken.None);

        Assert.Equal([source.Name], requests.Requested);
    }

    private sealed class RecordingRequests : ISyncRequests
    {
        public List<string> Requested { get; } = [];

        public void Request(string sourceName) => Requested.Add(sourceName);
    }
}
