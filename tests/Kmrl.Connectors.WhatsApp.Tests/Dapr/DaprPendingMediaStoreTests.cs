using Kmrl.Connectors.WhatsApp.Pending;
using Kmrl.Connectors.WhatsApp.Tests.Fakes;
using Kmrl.Contracts;
using Kmrl.Dapr.Testing;
using Kmrl.Testing.Servers;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kmrl.Connectors.WhatsApp.Tests.Dapr;

/// <summary>The Dapr adapter of the pending store through an unmodified DaprClient and the test sidecar on real Redis.</summary>
public sealed class DaprPendingMediaStoreTests(RedisServer redis) : IClassFixture<RedisServer>, IAsyncLifetime
{
    private DaprTestEnvironment _environment = null!;
    private DaprSidecar _sidecar = null!;
    private global::Dapr.Client.DaprClient _dapr = null!;
    private DaprPendingMediaStore _store = null!;

    public async Task InitializeAsync()
    {
        _environment = await DaprTestEnvironment.StartAsync(redis);
        _sidecar = await _environment.StartSidecarAsync(DaprNames.AppIds.WhatsAppConnector);
        _dapr = _sidecar.CreateClient();
        _store = new DaprPendingMediaStore(_dapr, NullLogger<DaprPendingMediaStore>.Instance);
    }

    public async Task DisposeAsync()
    {
        _dapr.Dispose();
        await _environment.DisposeAsync();
    }

    [Fact]
    public async Task The_first_write_wins_and_a_done_item_stays_done_when_the_webhook_comes_again()
    {
        Assert.True(await _store.AddAsync(Media("wamid.1"), default));
        Assert.False(await _store.AddAsync(Media("wamid.1") with { Caption = "changed" }, default));
        var pending = Assert.Single(await _store.ListPendingAsync(default));
        Assert.Equal("Caption", pending.Media.Caption);

        await _store.RecordAttemptAsync("wamid.1", "timeout", default);
        Assert.Equal(1, (await _store.GetAsync("wamid.1", default))!.Attempts);
        await _store.MarkDoneAsync("wamid.1", default);

        Assert.False(await _store.AddAsync(Media("wamid.1"), default));
        Assert.Empty(await _store.ListPendingAsync(default));
        Assert.Equal(PendingMediaStatus.Done, (await _store.GetAsync("wamid.1", default))!.Status);
    }

    [Fact]
    public async Task Concurrent_webhooks_all_land_in_the_pending_index()
    {
        await Task.WhenAll(Enumerable.Range(0, 24).Select(i => _store.AddAsync(Media($"wamid.c{i:D2}", minutesAgo: i), default)));

        var pending = await _store.ListPendingAsync(default);

        Assert.Equal(24, pending.Count);
        // Oldest first.
        Assert.Equal("wamid.c23", pending[0].Media.MessageId);
        Assert.True(_sidecar.StateConflicts > 0, "the index saves should have met ETag conflicts and retried");
    }

    [Fact]
    public async Task A_dead_lettered_item_leaves_the_index_and_keeps_its_reason()
    {
        await _store.AddAsync(Media("wamid.a"), default);
        await _store.AddAsync(Media("wamid.b"), default);

        await _store.MarkDeadLetteredAsync("wamid.a", "media older than the retention", default);

        Assert.Equal(["wamid.b"], (await _store.ListPendingAsync(default)).Select(e => e.Media.MessageId));
        var entry = (await _store.GetAsync("wamid.a", default))!;
        Assert.Equal(PendingMediaStatus.DeadLettered, entry.Status);
        Assert.Equal("media older than the retention", entry.DeadLetterReason);
    }

    private static PendingMedia Media(string wamid, int minutesAgo = 1) => new(
        wamid, "media-" + wamid, "document", "application/pdf", "abc", "a.pdf", "Caption", "919847000001", "Anitha K",
        WhatsAppPayloads.PhoneNumberId, WhatsAppPayloads.DisplayPhoneNumber, DateTimeOffset.UtcNow.AddMinutes(-minutesAgo), DateTimeOffset.UtcNow);
}
