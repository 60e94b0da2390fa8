using System.Text.Json;
using Kmrl.BuildingBlocks.PubSub;
using Kmrl.BuildingBlocks.Secrets;
using Kmrl.BuildingBlocks.State;
using Kmrl.Contracts;
using Kmrl.Dapr.Testing;
using Kmrl.DocumentApi.Activities;
using Kmrl.DocumentApi.Adapters;
using Kmrl.DocumentApi.Extensions;
using Kmrl.DocumentApi.Model;
using Kmrl.DocumentApi.Ports;
using Kmrl.ServiceDefaults.Security;
using Kmrl.Testing.Servers;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Kmrl.DocumentApi.Tests.Activities;

/// <summary>The Dapr adapters with an unmodified DaprClient against the test sidecar on real Redis.</summary>
public sealed class DaprAdapterTests(RedisServer redis) : IClassFixture<RedisServer>, IAsyncLifetime
{
    private DaprTestEnvironment _environment = null!;
    private global::Dapr.Client.DaprClient _dapr = null!;

    public async Task InitializeAsync()
    {
        _environment = await DaprTestEnvironment.StartAsync(redis, options =>
        {
            options.Secrets["document-api-api-keys"] = new Dictionary<string, object> { ["kmrl-portal"] = "portal-key-0123456789abcdef;upload,read" };
            options.Secrets["maximo"] = new Dictionary<string, object> { ["apikey"] = "maximo-key-0123456789abcdef" };
        });
        _dapr = (await _environment.StartSidecarAsync(DaprNames.AppIds.DocumentApi)).CreateClient();
    }

    public async Task DisposeAsync()
    {
        _dapr.Dispose();
        await _environment.DisposeAsync();
    }

    [Fact]
    public async Task The_catalog_over_the_dapr_state_store_dedupes_in_transactions_with_etags()
    {
        var (store, _) = InMemoryBlobStorage.NewStore();
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 27, 4, 0, 0, TimeSpan.Zero));
        var catalog = new StateStoreCatalog(new DaprStateStore(_dapr), time);
        var pdf = TestCorpus.TextPdf("Safety circular 14");
        var byMail = await Intakes.StoreAsync(store, pdf, "c.pdf", TestCorpus.Pdf, DocumentSources.Email, "INBOX/1/7");
        var byWhatsApp = await Intakes.StoreAsync(store, pdf, "c.pdf", TestCorpus.Pdf, DocumentSources.WhatsApp, "wamid.7");

        await new DeduplicateDocumentActivity(catalog, time).RunAsync(new TestActivityContext(), byMail);
        var duplicate = await new DeduplicateDocumentActivity(catalog, time).RunAsync(new TestActivityContext(), byWhatsApp);

        Assert.True(duplicate.IsDuplicate);
        var record = (await catalog.GetAsync(byMail.DocumentId, CancellationToken.None))!;
        Assert.Equal(2, record.Provenance.Count);
        // As state.redis keeps it: the record was written, then rewritten with the provenance (version 2).
        var stored = await _environment.Redis.GetDatabase().HashGetAllAsync($"document-api||{StateStoreCatalog.DocumentKey(byMail.DocumentId)}");
        Assert.Equal("2", stored.Single(e => e.Name == "version").Value.ToString());
        var json = JsonDocument.Parse(stored.Single(e => e.Name == "data").Value.ToString());
        Assert.Equal("processing", json.RootElement.GetProperty("status").GetString());
    }

    [Fact]
    public async Task A_stale_etag_or_a_second_create_is_reported_as_a_lost_race_and_changes_nothing()
    {
        var state = new DaprStateStore(_dapr);
        Assert.True(await state.TrySaveAsync("k", new[] { "a" }, null, CancellationToken.None));
        var read = (await state.GetAsync<string[]>("k", CancellationToken.None))!;
        Assert.True(await state.TrySaveAsync("k", new[] { "b" }, read.ETag, CancellationToken.None));

        // state.redis answers the stale ETag with Aborted, and the second create with Internal "failed to set key".
        var stale = await state.TrySaveAsync("k", new[] { "c" }, read.ETag, CancellationToken.None);
        var created = await state.TrySaveAsync("k", new[] { "d" }, null, CancellationToken.None);

        Assert.False(stale);
        Assert.False(created);
        Assert.Equal(["b"], (await state.GetAsync<string[]>("k", CancellationToken.None))!.Value);
        Assert.Equal(["b"], (await state.GetManyAsync<string[]>(["missing", "k"], CancellationToken.None)).Single());
    }

    [Fact]
    public async Task Thirty_two_concurrent_catalog_writers_on_real_state_redis_lose_no_index_entry_and_never_give_up()
    {
        var (store, _) = InMemoryBlobStorage.NewStore();
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 27, 4, 0, 0, TimeSpan.Zero));
        var catalog = new StateStoreCatalog(new DaprStateStore(_dapr), time);
        var pdf = TestCorpus.TextPdf("Safety circular 14");
        var intakes = new List<DocumentIntake>();
        for (var i = 0; i < 32; i++)
        {
            // Distinct documents that share the day, the hash and the source item: every index key is contended.
            intakes.Add(await Intakes.StoreAsync(store, pdf, $"copy-{i}.pdf", TestCorpus.Pdf, DocumentSources.Email, "INBOX/1/7") with { DocumentId = $"doc-{i:x32}" });
        }

        await Task.WhenAll(intakes.Select(intake => Task.Run(() =>
            catalog.SaveAsync(DeduplicateDocumentActivity.NewRecord(intake, DocumentStatus.Processing, time.GetUtcNow()), CancellationToken.None))));

        var ids = intakes.Select(i => i.DocumentId).Order(StringComparer.Ordinal).ToList();
        var day = new DateOnly(2026, 11, 27);
        var page = await catalog.QueryAsync(new DocumentQuery(DocumentSources.Email, null, null, day, day, null, 1, 100), CancellationToken.None);
        Assert.Equal(ids, page.Items.Select(r => r.DocumentId).Order(StringComparer.Ordinal));
        var removed = await catalog.MarkRemovedAtSourceAsync(DocumentSources.Email, "INBOX/1/7", "deleted", time.GetUtcNow(), CancellationToken.None);
        Assert.Equal(ids, removed.Select(r => r.DocumentId).Order(StringComparer.Ordinal));
        Assert.Contains(await catalog.FindBySha256Async(intakes[0].Sha256, CancellationToken.None), ids);
    }

    [Fact]
    public async Task A_source_id_holding_daprs_key_separator_is_catalogued_and_removed()
    {
        var (store, _) = InMemoryBlobStorage.NewStore();
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 27, 4, 0, 0, TimeSpan.Zero));
        var catalog = new StateStoreCatalog(new DaprStateStore(_dapr), time);
        var intake = await Intakes.StoreAsync(store, TestCorpus.TextPdf("Drawing"), "d.pdf", TestCorpus.Pdf, DocumentSources.SharePoint, "sites/ops||items/7");

        await new DeduplicateDocumentActivity(catalog, time).RunAsync(new TestActivityContext(), intake);
        var removed = await catalog.MarkRemovedAtSourceAsync(DocumentSources.SharePoint, "sites/ops||items/7", "deleted", time.GetUtcNow(), CancellationToken.None);

        Assert.Equal(intake.DocumentId, Assert.Single(removed).DocumentId);
    }

    [Fact]
    public async Task Dead_letters_with_any_id_are_kept_and_removed_on_real_state_redis()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 27, 4, 0, 0, TimeSpan.Zero));
        var catalog = new StateStoreCatalog(new DaprStateStore(_dapr), time);
        var discovered = new DocumentDiscovered("key||1", DocumentSources.Email, "INBOX/1/8", "a.pdf", TestCorpus.Pdf, 1, new string('a', 64),
            new BlobReference("b", 1, new string('a', 64), 1, 4096), new Dictionary<string, string>(), time.GetUtcNow());

        await catalog.SaveDeadLetterAsync(new DeadLetter("key||1", discovered, time.GetUtcNow()), CancellationToken.None);
        await catalog.SaveDeadLetterAsync(new DeadLetter("key||1", discovered, time.GetUtcNow()), CancellationToken.None);
        Assert.Equal("key||1", Assert.Single(await catalog.ListDeadLettersAsync(CancellationToken.None)).Id);
        await catalog.DeleteDeadLetterAsync("key||1", CancellationToken.None);

        Assert.Empty(await catalog.ListDeadLettersAsync(CancellationToken.None));
        Assert.Null(await catalog.GetDeadLetterAsync("key||1", CancellationToken.None));
    }

    [Fact]
    public async Task Events_go_to_the_pubsub_component_on_their_topic()
    {
        var routed = new DocumentRouted("doc-1", "finance", "invoice", "inv.pdf", "summary", ["rule invoice"], DateTimeOffset.UnixEpoch);

        await new DaprEventPublisher(_dapr).PublishAsync(DaprNames.Topics.ForDepartment("finance"), routed, CancellationToken.None);

        var published = Assert.Single(await _environment.PublishedAsync("documents-for-finance"));
        Assert.Equal(DaprNames.Components.PubSub, published.GetProperty("pubsubname").GetString());
        Assert.Equal("finance", published.GetProperty("data").GetProperty("department").GetString());
    }

    [Fact]
    public async Task Api_keys_come_from_the_one_secret_named_for_them_through_the_repositorys_secret_store()
    {
        // components/secretstore.yaml is multiValued: "document-api-api-keys" is one secret, each key a client.
        var time = new FakeTimeProvider();
        var store = new SecretStoreApiKeyStore(new DaprSecretProvider(_dapr, time), time,
            Microsoft.Extensions.Options.Options.Create(new ApiSecurityOptions { ApiKeysSecret = "document-api-api-keys" }), NullLogger<SecretStoreApiKeyStore>.Instance);

        var portal = await store.FindAsync("portal-key-0123456789abcdef", CancellationToken.None);

        Assert.Equal("kmrl-portal", portal!.Name);
        Assert.Null(await store.FindAsync("maximo-key-0123456789abcdef", CancellationToken.None));
    }
}
