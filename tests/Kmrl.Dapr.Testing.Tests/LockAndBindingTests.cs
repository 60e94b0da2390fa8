using System.Security.Cryptography;
using Dapr;
using Dapr.Client;
using Kmrl.ClaimCheck;
using Kmrl.Testing.Servers;
using Microsoft.Extensions.Options;

namespace Kmrl.Dapr.Testing.Tests;

[Collection(RedisCollection.Name)]
public sealed class LockAndBindingTests(RedisServer redis)
{
    [Fact]
    public async Task A_lock_held_by_one_replica_is_refused_to_another_until_released()
    {
        await using var environment = await DaprTestEnvironment.StartAsync(redis);
        using var first = (await environment.StartSidecarAsync("email-connector")).CreateClient();
        using var second = (await environment.StartSidecarAsync("email-connector")).CreateClient();

        var held = await first.Lock("lockstore", "sync-inbox", "replica-1", 60);
        var refused = await second.Lock("lockstore", "sync-inbox", "replica-2", 60);
        var wrongOwner = await second.Unlock("lockstore", "sync-inbox", "replica-2");
        var released = await first.Unlock("lockstore", "sync-inbox", "replica-1");
        var taken = await second.Lock("lockstore", "sync-inbox", "replica-2", 60);

        Assert.True(held.Success);
        Assert.False(refused.Success);
        Assert.Equal(LockStatus.LockBelongsToOthers, wrongOwner.status);
        Assert.Equal(LockStatus.Success, released.status);
        Assert.True(taken.Success);
    }

    [Fact]
    public async Task The_claim_check_writes_and_reads_chunks_through_the_localstorage_binding()
    {
        await using var environment = await DaprTestEnvironment.StartAsync(redis);
        using var client = (await environment.StartSidecarAsync("maximo-connector")).CreateClient();
        var options = Options.Create(new ClaimCheckOptions { ChunkSizeBytes = 256 * 1024 });
        var store = new ChunkedContentStore(new DaprBindingBlobStorage(client, options), options);
        var content = RandomNumberGenerator.GetBytes(1_000_000);

        var blob = await store.WriteAsync("wo-1001-drawing", new MemoryStream(content), CancellationToken.None);
        await using var read = await store.OpenReadAsync(blob, CancellationToken.None);
        var copy = new MemoryStream();
        await read.CopyToAsync(copy);
        await store.DeleteAsync(blob, CancellationToken.None);

        Assert.Equal(4, blob.ChunkCount);
        Assert.Equal(content, copy.ToArray());
        Assert.Empty(Directory.EnumerateFiles(environment.BlobRoot, "*", SearchOption.AllDirectories));
        await Assert.ThrowsAsync<BlobNotFoundException>(() => store.OpenReadAsync(blob, CancellationToken.None));
    }

    public static TheoryData<string> TextThatTheBindingWouldDecode => new()
    {
        "KMRL",
        "WO10\nWO11\nWO12\n",
        "\"safety circular\"",
        "",
    };

    [Theory]
    [MemberData(nameof(TextThatTheBindingWouldDecode))]
    public async Task A_chunk_that_looks_like_base64_or_a_quoted_string_round_trips_byte_for_byte(string text)
    {
        // localstorage create unquotes and base64-decodes what it is sent (components-contrib v1.16.13
        // bindings/localstorage/localstorage.go); the claim check must store the content, not what it decodes to.
        await using var environment = await DaprTestEnvironment.StartAsync(redis);
        using var client = (await environment.StartSidecarAsync("email-connector")).CreateClient();
        var options = Options.Create(new ClaimCheckOptions { ChunkSizeBytes = 4 * 1024 });
        var storage = new DaprBindingBlobStorage(client, options);
        var store = new ChunkedContentStore(storage, options);
        var content = System.Text.Encoding.UTF8.GetBytes(text);

        await storage.PutAsync("ids-chunk", content, CancellationToken.None);
        var blob = await store.WriteAsync("ids-list", new MemoryStream(content), CancellationToken.None);
        await using var read = await store.OpenReadAsync(blob, CancellationToken.None);
        var copy = new MemoryStream();
        await read.CopyToAsync(copy);

        Assert.Equal(content, (await storage.GetAsync("ids-chunk", CancellationToken.None))!.Value.ToArray());
        Assert.Equal(content, copy.ToArray());
    }

    [Fact]
    public async Task A_file_name_that_escapes_the_root_path_is_refused_by_the_binding()
    {
        await using var environment = await DaprTestEnvironment.StartAsync(redis);
        using var client = (await environment.StartSidecarAsync("document-api")).CreateClient();

        var error = await Assert.ThrowsAsync<DaprException>(() => client.InvokeBindingAsync(
            "blobstore", "create", new byte[] { 1 }, new Dictionary<string, string> { ["fileName"] = "../escape" }));

        Assert.Contains("invalid file path", error.InnerException?.Message ?? error.Message);
    }

    [Fact]
    public void A_component_type_the_double_does_not_implement_is_refused_with_its_name()
    {
        using var directory = new TempDirectory("resources");
        File.WriteAllText(directory.Combine("state.yaml"), """
            apiVersion: dapr.io/v1alpha1
            kind: Component
            metadata:
              name: statestore
            spec:
              type: state.postgresql
              version: v1
              metadata: []
            """);

        var error = Assert.Throws<NotSupportedException>(() => Components.ResourceLoader.Load(directory.Path));

        Assert.Contains("state.postgresql", error.Message);
    }
}
