using System.Text.Json;
using Kmrl.BuildingBlocks.PubSub;
using Kmrl.Connectors.Dapr;
using Kmrl.Connectors.Ports;
using Kmrl.Contracts;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kmrl.Connectors.Tests.DaprAdapters;

/// <summary>The Dapr adapters through an unmodified DaprClient over gRPC, against <see cref="FakeDaprSidecar"/>.</summary>
public sealed class DaprAdapterTests : IAsyncLifetime
{
    private readonly FakeDaprSidecar _sidecar = new();
    private global::Dapr.Client.DaprClient _client = null!;

    public async Task InitializeAsync()
    {
        await _sidecar.StartAsync();
        _client = _sidecar.CreateClient();
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _sidecar.DisposeAsync();
    }

    [Fact]
    public async Task The_checkpoint_store_saves_with_etags_and_refuses_a_stale_or_second_first_write()
    {
        var store = new DaprCheckpointStore(_client);
        var first = new CheckpointRecord("{\"uid\":10}", DateTimeOffset.UtcNow, "run-1");

        Assert.Null(await store.LoadAsync("email", "INBOX", CancellationToken.None));
        var etag1 = await store.TrySaveAsync("email", "INBOX", first, null, CancellationToken.None);
        Assert.False(string.IsNullOrEmpty(etag1));

        // Another replica that also saw "nothing stored" must not overwrite.
        Assert.Null(await store.TrySaveAsync("email", "INBOX", first with { RunId = "run-2" }, null, CancellationToken.None));

        var second = new CheckpointRecord("{\"uid\":20}", DateTimeOffset.UtcNow, "run-1");
        var etag2 = await store.TrySaveAsync("email", "INBOX", second, etag1, CancellationToken.None);
        Assert.NotNull(etag2);
        Assert.NotEqual(etag1, etag2);

        // A stale ETag (the replica that saved etag1 and did not see etag2) is refused and changes nothing.
        Assert.Null(await store.TrySaveAsync("email", "INBOX", new CheckpointRecord("{\"uid\":15}", DateTimeOffset.UtcNow, "run-3"), etag1, CancellationToken.None));
        var loaded = await store.LoadAsync("email", "INBOX", CancellationToken.None);
        Assert.Equal(("{\"uid\":20}", etag2), (loaded!.Checkpoint.Value, loaded.ETag));
        Assert.All(_sidecar.SaveRequests, r => Assert.Equal(DaprNames.Components.StateStore, r.StoreName));
        Assert.Contains(StateKeys.Checkpoint("email", "INBOX"), _sidecar.SaveRequests.Select(r => r.States[0].Key));
    }

    [Fact]
    public async Task The_sync_lock_is_exclusive_between_owners_and_released_on_dispose()
    {
        var replicaA = new DaprSyncLock(_client, TimeProvider.System, NullLogger<DaprSyncLock>.Instance);
        var replicaB = new DaprSyncLock(_client, TimeProvider.System, NullLogger<DaprSyncLock>.Instance);

        var lease = await replicaA.TryAcquireAsync("connector-email-sync-x", TimeSpan.FromSeconds(90.5), CancellationToken.None);
        Assert.NotNull(lease);
        Assert.Null(await replicaB.TryAcquireAsync("connector-email-sync-x", TimeSpan.FromMinutes(1), CancellationToken.None));
        await lease.DisposeAsync();
        var leaseB = await replicaB.TryAcquireAsync("connector-email-sync-x", TimeSpan.FromMinutes(1), CancellationToken.None);
        Assert.NotNull(leaseB);
        await leaseB.DisposeAsync();

        var requests = _sidecar.LockRequests.ToList();
        Assert.All(requests, r => Assert.Equal(DaprNames.Components.LockStore, r.StoreName));
        Assert.Equal(91, requests[0].ExpiryInSeconds);
        Assert.NotEqual(requests[0].LockOwner, requests[1].LockOwner);
        Assert.Empty(_sidecar.Locks);
    }

    [Fact]
    public async Task The_publisher_sends_camel_case_json_on_the_pubsub_component()
    {
        var publisher = new DaprEventPublisher(_client);

        await publisher.PublishAsync(DaprNames.Topics.ConnectorSyncFailed,
            new ConnectorSyncFailed("email", "INBOX", 3, "boom", DateTimeOffset.UnixEpoch), CancellationToken.None);

        var request = Assert.Single(_sidecar.Published);
        Assert.Equal((DaprNames.Components.PubSub, DaprNames.Topics.ConnectorSyncFailed), (request.PubsubName, request.Topic));
        using var json = JsonDocument.Parse(request.Data.ToByteArray());
        Assert.Equal(3, json.RootElement.GetProperty("consecutiveFailures").GetInt32());
    }

    [Fact]
    public async Task Rejections_and_dead_letters_are_stored_one_key_per_item()
    {
        var store = new DaprSkippedItemStore(_client, new Kmrl.BuildingBlocks.State.DaprStateStore(_client));

        await store.RecordRejectedAsync(new RejectedItem("email", "INBOX", "7", "a.exe", "Extension '.exe' is not allowed.", DateTimeOffset.UnixEpoch), CancellationToken.None);
        await store.RecordDeadLetterAsync(new DeadLetteredItem("email", "INBOX", "8", "b.pdf", "IOException: broken", 3, DateTimeOffset.UnixEpoch), CancellationToken.None);

        var rejected = await _client.GetStateAsync<RejectedItem>(DaprNames.Components.StateStore, StateKeys.Rejected("email", "INBOX", "7"));
        var deadLetter = await _client.GetStateAsync<DeadLetteredItem>(DaprNames.Components.StateStore, StateKeys.DeadLetter("email", "INBOX", "8"));
        Assert.Equal("Extension '.exe' is not allowed.", rejected.Reason);
        Assert.Equal(3, deadLetter.Attempts);
    }
}
