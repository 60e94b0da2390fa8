using System.Text.Json;
using Kmrl.Contracts;
using Kmrl.Dapr.Testing;
using Kmrl.DocumentApi.Activities;
using Kmrl.DocumentApi.Adapters;
using Kmrl.DocumentApi.Extensions;
using Kmrl.DocumentApi.Security;
using Kmrl.ServiceDefaults.Secrets;
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
    public async Task A_stale_etag_fails_the_transaction_and_is_reported_as_a_lost_race()
    {
        var state = new DaprStateStore(_dapr);
        Assert.True(await state.TryCommitAsync([new("k", new[] { "a" }, null)], CancellationToken.None));
        var read = (await state.GetAsync<string[]>("k", CancellationToken.None))!;
        Assert.True(await state.TryCommitAsync([new("k", new[] { "b" }, read.ETag)], CancellationToken.None));

        var stale = await state.TryCommitAsync([new("k", new[] { "c" }, read.ETag), new("other", new[] { "x" }, null)], CancellationToken.None);

        Assert.False(stale);
        Assert.Equal(["b"], (await state.GetAsync<string[]>("k", CancellationToken.None))!.Value);
        Assert.Null(await state.GetAsync<string[]>("other", CancellationToken.None));
        Assert.Equal(["b"], (await state.GetManyAsync<string[]>(["missing", "k"], CancellationToken.None)).Single());
    }

    [Fact]
    public async Task Events_go_to_the_pubsub_component_on_their_topic()
    {
        var routed = new DocumentRouted("doc-1", "finance", "invoice", "inv.pdf", "summary", ["rule invoice"], DateTimeOffset.UnixEpoch);

        await new DaprDocumentEvents(_dapr).PublishAsync(DaprNames.Topics.ForDepartment("finance"), routed, CancellationToken.None);

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
            Microsoft.Extensions.Options.Options.Create(new ApiSecurityOptions()), NullLogger<SecretStoreApiKeyStore>.Instance);

        var portal = await store.FindAsync("portal-key-0123456789abcdef", CancellationToken.None);

        Assert.Equal("kmrl-portal", portal!.Name);
        Assert.Null(await store.FindAsync("maximo-key-0123456789abcdef", CancellationToken.None));
    }
}
