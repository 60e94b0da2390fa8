using System.Text.Json;
using Kmrl.BuildingBlocks.State;
using Kmrl.Connectors.Dapr;
using Kmrl.Connectors.Ports;
using Kmrl.Contracts;
using Kmrl.Dapr.Testing;
using Kmrl.Testing.Servers;

namespace Kmrl.Connectors.Tests.DaprAdapters;

/// <summary>
/// The inbox and the dead-letter list through an unmodified DaprClient and the test sidecar on real Redis: first write
/// wins, completed items stay known, a burst of writers all land in the sharded index.
/// </summary>
public sealed class StateStoreAdapterTests(RedisServer redis) : IClassFixture<RedisServer>, IAsyncLifetime
{
    private const string Connector = "whatsapp";
    private const string Source = "whatsapp-inbound";
    private DaprTestEnvironment _environment = null!;
    private DaprSidecar _sidecar = null!;
    private global::Dapr.Client.DaprClient _dapr = null!;
    private StateStoreInbox _inbox = null!;
    private DaprSkippedItemStore _skipped = null!;

    public async Task InitializeAsync()
    {
        _environment = await DaprTestEnvironment.StartAsync(redis);
        _sidecar = await _environment.StartSidecarAsync(DaprNames.AppIds.WhatsAppConnector);
        _dapr = _sidecar.CreateClient();
        var state = new DaprStateStore(_dapr);
        _inbox = new StateStoreInbox(state);
        _skipped = new DaprSkippedItemStore(_dapr, state);
    }

    public async Task DisposeAsync()
    {
        _dapr.Dispose();
        await _environment.DisposeAsync();
    }

    [Fact]
    public async Task The_first_write_wins_and_a_completed_item_stays_known_when_the_webhook_comes_again()
    {
        Assert.True(await _inbox.TryAddAsync(Connector, Source, Entry("wamid.1", "first"), default));
        Assert.False(await _inbox.TryAddAsync(Connector, Source, Entry("wamid.1", "changed"), default));
        var pending = Assert.Single(await _inbox.ListPendingAsync(Connector, Source, 100, default));
        Assert.Equal("first", pending.Item.GetProperty("caption").GetString());

        await _inbox.CompleteAsync(Connector, Source, "wamid.1", default);

        Assert.False(await _inbox.TryAddAsync(Connector, Source, Entry("wamid.1", "again"), default));
        Assert.Empty(await _inbox.ListPendingAsync(Connector, Source, 100, default));
        Assert.True(await _inbox.ReopenAsync(Connector, Source, "wamid.1", default));
        Assert.Equal("first", Assert.Single(await _inbox.ListPendingAsync(Connector, Source, 100, default)).Item.GetProperty("caption").GetString());
        Assert.False(await _inbox.ReopenAsync(Connector, Source, "wamid.unknown", default));
    }

    [Fact]
    public async Task Concurrent_webhooks_all_land_in_the_index_which_is_spread_over_several_keys()
    {
        var now = DateTimeOffset.UtcNow;
        await Task.WhenAll(Enumerable.Range(0, 40).Select(i =>
            _inbox.TryAddAsync(Connector, Source, Entry($"wamid.c{i:D2}", "c", now.AddMinutes(-i)), default)));

        var pending = await _inbox.ListPendingAsync(Connector, Source, 100, default);

        Assert.Equal(40, pending.Count);
        Assert.Equal("wamid.c39", pending[0].Id);
        var shards = Enumerable.Range(0, StateKeys.IndexShards).Select(shard => StateKeys.InboxIndex(Connector, Source, shard)).ToList();
        var written = (await _dapr.GetBulkStateAsync(DaprNames.Components.StateStore, shards, parallelism: 4)).Count(item => !string.IsNullOrEmpty(item.Value));
        Assert.True(written > 1, $"the pending ids sit in {written} index key(s); one key would be rewritten by every webhook");
    }

    [Fact]
    public async Task Dead_letters_are_listed_newest_first_and_a_removed_one_is_gone_from_the_list()
    {
        var at = DateTimeOffset.UtcNow;
        await _skipped.RecordDeadLetterAsync(new DeadLetteredItem(Connector, Source, "wamid.a", "a.pdf", "IOException: broken", 3, at.AddMinutes(-2)), default);
        await _skipped.RecordDeadLetterAsync(new DeadLetteredItem(Connector, Source, "wamid.b", "b.pdf", "MediaNotFoundException: gone", 1, at), default);
        // A second dead-lettering of the same item overwrites rather than listing it twice.
        await _skipped.RecordDeadLetterAsync(new DeadLetteredItem(Connector, Source, "wamid.a", "a.pdf", "IOException: broken again", 3, at.AddMinutes(-1)), default);

        var listed = await _skipped.ListAsync(Connector, default);

        Assert.Equal(["wamid.b", "wamid.a"], listed.Select(letter => letter.Item.SourceId));
        Assert.Equal("IOException: broken again", listed[1].Item.Reason);
        Assert.Equal(listed[1], await _skipped.GetAsync(Connector, listed[1].Id, default));
        Assert.Null(await _skipped.GetAsync(Connector, "../checkpoint", default));
        Assert.Empty(await _skipped.ListAsync("email", default));

        await _skipped.RemoveAsync(Connector, listed[1].Id, default);

        Assert.Equal(["wamid.b"], (await _skipped.ListAsync(Connector, default)).Select(letter => letter.Item.SourceId));
        Assert.Null(await _skipped.GetAsync(Connector, listed[1].Id, default));
    }

    private static InboxEntry Entry(string id, string caption, DateTimeOffset? at = null) =>
        new(id, JsonSerializer.SerializeToElement(new { caption }), at ?? DateTimeOffset.UtcNow);
}
