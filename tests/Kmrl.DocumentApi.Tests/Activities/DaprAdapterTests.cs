using System.Text.Json;
using Kmrl.Contracts;
using Kmrl.DocumentApi.Activities;
using Kmrl.DocumentApi.Adapters;
using Microsoft.Extensions.Time.Testing;

namespace Kmrl.DocumentApi.Tests.Activities;

/// <summary>The Dapr adapters with an unmodified DaprClient against a stand-in for daprd's runtime API.</summary>
public sealed class DaprAdapterTests : IAsyncLifetime
{
    private readonly DaprRuntimeStandIn _sidecar = new();
    private global::Dapr.Client.DaprClient _dapr = null!;

    public async Task InitializeAsync()
    {
        await _sidecar.StartAsync();
        _dapr = _sidecar.CreateClient();
    }

    public async Task DisposeAsync()
    {
        _dapr.Dispose();
        await _sidecar.DisposeAsync();
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
        Assert.All(_sidecar.Transactions, t => Assert.Equal(DaprNames.Components.StateStore, t.StoreName));
        // Adding the provenance rewrote the original's record on the condition of the ETag it was read with.
        Assert.Contains(_sidecar.Transactions, t => t.Operations.Any(op =>
            op.Request.Key == StateStoreCatalog.DocumentKey(byMail.DocumentId) && !string.IsNullOrEmpty(op.Request.Etag?.Value)));
        var stored = JsonDocument.Parse(_sidecar.State[$"statestore||{StateStoreCatalog.DocumentKey(byMail.DocumentId)}"].Data.ToStringUtf8());
        Assert.Equal("processing", stored.RootElement.GetProperty("status").GetString());
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

        var published = Assert.Single(_sidecar.Published);
        Assert.Equal(DaprNames.Components.PubSub, published.PubsubName);
        Assert.Equal("documents-for-finance", published.Topic);
        Assert.Equal("finance", JsonDocument.Parse(published.Data.ToStringUtf8()).RootElement.GetProperty("department").GetString());
    }

    [Fact]
    public async Task Secrets_from_the_local_file_store_are_flattened_to_their_names()
    {
        // secretstores.local.file with nestedSeparator ":" returns each flattened name as its own secret.
        _sidecar.Secrets["document-api:api-keys:kmrl-portal"] = new() { ["document-api:api-keys:kmrl-portal"] = "portal-key-0123456789abcdef;upload,read" };
        _sidecar.Secrets["maximo"] = new() { ["api-key"] = "m" };

        var secrets = await new DaprSecretProvider(_dapr).GetAllAsync(CancellationToken.None);

        Assert.Equal("portal-key-0123456789abcdef;upload,read", secrets["document-api:api-keys:kmrl-portal"]);
        Assert.Equal("m", secrets["maximo:api-key"]);
    }
}
