using System.Net;
using System.Net.Http.Json;
using System.Security.Claims;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Kmrl.ClaimCheck;
using Kmrl.Contracts;
using Kmrl.DocumentApi.Apis;
using Kmrl.DocumentApi.Model;
using Kmrl.DocumentApi.Ports;
using Kmrl.DocumentApi.Processing;
using Kmrl.DocumentApi.Search;
using Kmrl.DocumentApi.Security;
using Kmrl.Search;
using Kmrl.ServiceDefaults;
using Kmrl.ServiceDefaults.Security;
using Kmrl.DocumentApi.Extensions;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Kmrl.DocumentApi.Tests.Api;

/// <summary>GET /search on the real app: the index fed by the events from the catalog, rebuilt from it, and the bad queries.</summary>
public sealed class SearchApiTests(DocumentApiFactory factory) : IClassFixture<DocumentApiFactory>
{
    private IDocumentContentStore Store => factory.Services.GetRequiredService<IDocumentContentStore>();
    private ICatalog Catalog => factory.Services.GetRequiredService<ICatalog>();
    private HttpClient Reader => factory.ClientWith(DocumentApiFactory.ReadKey);

    [Fact]
    public async Task A_processed_document_is_found_by_its_text_and_its_sender_once_its_event_arrives_and_a_redelivery_changes_nothing()
    {
        var word = Word();
        var record = await SeedAsync($"Maintenance circular {word} for the Aluva depot", "maintenance", "circular",
            new Dictionary<string, string> { ["from"] = "Priya Nair <priya@kmrl.example>", ["subject"] = "Depot circular" });

        Assert.Equal(0, (await SearchAsync($"?q={word}"))!.Total);
        await DeliverAsync(SearchApi.ProcessedRoute, Processed(record));
        await DeliverAsync(SearchApi.ProcessedRoute, Processed(record));

        var found = await SearchAsync($"?q={word}&facets=department,type");
        Assert.Equal(1, found!.Total);
        Assert.Equal(record.DocumentId, found.Hits[0].DocumentId);
        Assert.Contains($"<mark>{word}</mark>", found.Hits[0].Snippet, StringComparison.Ordinal);
        Assert.Equal("maintenance", Assert.Single(found.Facets[SearchFacets.Department]).Value);
        Assert.Equal(1, (await SearchAsync($"?q={word}+priya&department=maintenance"))!.Total);
        Assert.Equal(0, (await SearchAsync($"?q={word}&department=finance"))!.Total);
    }

    [Fact]
    public async Task A_document_removed_at_its_source_says_so_in_the_results()
    {
        var word = Word();
        var record = await SeedAsync($"Drawing register {word}", "engineering", "drawing");
        await DeliverAsync(SearchApi.ProcessedRoute, Processed(record));
        var provenance = record.Provenance[0];

        await DeliverAsync(DocumentsApi.RemovedRoute, new DocumentRemovedAtSource(
            provenance.Source, provenance.SourceId, "deleted", new Dictionary<string, string>(), DateTimeOffset.UtcNow));

        Assert.Equal(SourceStatuses.RemovedAtAllSources, Assert.Single((await SearchAsync($"?q={word}"))!.Hits).SourceStatus);
    }

    [Fact]
    public async Task A_reprocessed_document_that_is_now_rejected_is_indexed_as_rejected()
    {
        var word = Word();
        var record = await SeedAsync($"Tender {word}", "procurement", "tender");
        await DeliverAsync(SearchApi.ProcessedRoute, Processed(record));
        await Catalog.SaveAsync(record with
        {
            Status = DocumentStatus.Rejected, UpdatedAt = record.UpdatedAt.AddMinutes(5),
            Rejection = new Rejection(Stages.Extract, RejectionReasons.CorruptPdf, DateTimeOffset.UtcNow),
        }, CancellationToken.None);

        await DeliverAsync(SearchApi.RejectedRoute, new DocumentRejected(record.DocumentId, "key", record.Provenance[0].Source,
            record.Provenance[0].SourceId, record.FileName, Stages.Extract, RejectionReasons.CorruptPdf, DateTimeOffset.UtcNow));

        Assert.Equal("rejected", Assert.Single((await SearchAsync($"?q={word}"))!.Hits).Status);
    }

    [Fact]
    public async Task A_document_the_catalog_no_longer_holds_as_its_own_leaves_the_index_with_its_counts_when_its_next_event_arrives()
    {
        var word = Word();
        var record = await SeedAsync($"Vendor list {word}", "finance", "invoice");
        var earlier = await SeedAsync($"Vendor list {word} first copy", "finance", "invoice");
        await DeliverAsync(SearchApi.ProcessedRoute, Processed(record));
        await DeliverAsync(SearchApi.ProcessedRoute, Processed(earlier));
        Assert.Equal(2, (await SearchAsync($"?q={word}"))!.Total);

        // Reprocessing found it to be a copy of the earlier one: the catalog folds it in, and a search finds one.
        await Catalog.SaveAsync(record with
        {
            Status = DocumentStatus.Duplicate, DuplicateOf = earlier.DocumentId, UpdatedAt = record.UpdatedAt.AddMinutes(5),
        }, CancellationToken.None);
        await DeliverAsync(SearchApi.ProcessedRoute, Processed(record));

        var found = await SearchAsync($"?q={word}&facets=department");
        Assert.Equal(earlier.DocumentId, Assert.Single(found!.Hits).DocumentId);
        Assert.Equal(1, Assert.Single(found.Facets[SearchFacets.Department]).Count);
    }

    [Fact]
    public async Task A_rebuild_indexes_what_the_catalog_holds_even_where_no_event_arrived()
    {
        var word = Word();
        var missed = await SeedAsync($"Board minutes {word}", "board", "board-minutes");
        Assert.Equal(0, (await SearchAsync($"?q={word}"))!.Total);
        var upload = factory.ClientWith(DocumentApiFactory.UploadKey);

        var started = await upload.PostAsync("/search/rebuild", null);
        Assert.Equal(HttpStatusCode.Accepted, started.StatusCode);
        SearchRebuildStatus? status = null;
        for (var i = 0; i < 200 && status?.State is not ("finished" or "failed"); i++)
        {
            await Task.Delay(50);
            status = await Reader.GetFromJsonAsync<SearchRebuildStatus>("/search/rebuild", KmrlJson.Options);
        }

        Assert.Equal("finished", status?.State);
        Assert.Equal(missed.DocumentId, Assert.Single((await SearchAsync($"?q={word}"))!.Hits).DocumentId);
    }

    [Theory]
    [InlineData("?q=%22unclosed")]
    [InlineData("?q=*")]
    [InlineData("?q=a*")]
    [InlineData("?q=fo*o")]
    [InlineData("?q=%22phrase%22~")]
    [InlineData("?sort=sideways")]
    [InlineData("?facets=colour")]
    [InlineData("?page=0")]
    [InlineData("?pageSize=1000")]
    [InlineData("?page=500&pageSize=100")]
    [InlineData("?from=2026-12-01&to=2026-11-01")]
    [InlineData("?from=yesterday")]
    [InlineData("?hasDeadline=perhaps")]
    [InlineData("?q=circular+OR")]
    [InlineData("?q=circular+OR+-draft")]
    public async Task A_query_that_cannot_be_run_is_a_problem_for_the_caller_never_a_server_error(string query)
    {
        var response = await Reader.GetAsync("/search" + query);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public void The_postgres_engine_without_a_connection_string_is_refused_when_the_options_are_read_not_at_the_first_search()
    {
        var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["Search:Engine"] = SearchEngines.Postgres });
        builder.AddDocumentSearch();
        using var host = builder.Build();

        var error = Assert.Throws<Microsoft.Extensions.Options.OptionsValidationException>(
            () => host.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<SearchOptions>>().Value);
        Assert.Contains("Search:Postgres:ConnectionString", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_query_longer_than_the_limit_is_refused()
    {
        var response = await Reader.GetAsync("/search?q=" + new string('x', SearchQuery.MaxLength + 1));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task Searching_needs_a_key_with_the_read_role_and_rebuilding_the_upload_role()
    {
        Assert.Equal(HttpStatusCode.Unauthorized, (await factory.ClientWith(null).GetAsync("/search?q=x")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await Reader.PostAsync("/search/rebuild", null)).StatusCode);
    }

    [Fact]
    public async Task The_openapi_document_describes_search()
    {
        // Outside Development the API description needs a key (issue 18).
        var openApi = await Reader.GetFromJsonAsync<JsonObject>("/openapi/v1.json");

        var search = openApi!["paths"]!["/search"]!["get"]!;
        var parameters = search["parameters"]!.AsArray().Select(p => (string?)p!["name"]).ToList();
        Assert.Contains("q", parameters);
        Assert.Contains("department", parameters, StringComparer.OrdinalIgnoreCase);
        Assert.Contains("facets", parameters, StringComparer.OrdinalIgnoreCase);
        Assert.False(openApi["paths"]!.AsObject().ContainsKey(SearchApi.ProcessedRoute));
        // The query syntax, exclusion and OR included, is in the description a client reads.
        var description = (string?)search["description"] ?? "";
        Assert.Contains("circular OR notice", description, StringComparison.Ordinal);
        Assert.Contains("`-draft`", description, StringComparison.Ordinal);
        Assert.Contains("-സർക്കുലർ", description, StringComparison.Ordinal);
    }

    [Fact]
    public void A_machine_with_an_API_key_reads_every_department_and_a_person_only_their_own()
    {
        var resolver = new ClaimsAccessScopeResolver();
        var machine = new ClaimsPrincipal(new ClaimsIdentity([new Claim(ClaimTypes.Role, ApiRoles.Read)], ApiKeyAuthenticationHandler.SchemeName));
        var reader = new ClaimsPrincipal(new ClaimsIdentity(
            [new Claim(StaffClaims.Department, "finance"), new Claim(StaffClaims.Department, "hr")], "oidc"));
        var admin = new ClaimsPrincipal(new ClaimsIdentity([new Claim(ClaimTypes.Role, "administrator")], "oidc"));
        var nobody = new ClaimsPrincipal(new ClaimsIdentity([], "oidc"));

        Assert.True(resolver.ScopeOf(machine).IsAll);
        Assert.True(resolver.ScopeOf(admin).IsAll);
        var scope = resolver.ScopeOf(reader);
        Assert.False(scope.IsAll);
        Assert.Equal(["finance", "hr"], scope.Departments.Order(StringComparer.Ordinal));
        Assert.False(resolver.ScopeOf(nobody).IsAll);
        Assert.Empty(resolver.ScopeOf(nobody).Departments);
    }

    private static string Word() => "zq" + Guid.NewGuid().ToString("N")[..10];

    private async Task<SearchResults?> SearchAsync(string query) =>
        await Reader.GetFromJsonAsync<SearchResults>("/search" + query, KmrlJson.Options);

    private async Task<DocumentRecord> SeedAsync(string text, string department, string type, Dictionary<string, string>? metadata = null)
    {
        var fileName = type + ".pdf";
        var intake = await Intakes.StoreAsync(Store, Encoding.UTF8.GetBytes(text), fileName, TestCorpus.Pdf, DocumentSources.Email,
            "INBOX/" + Guid.NewGuid().ToString("N"), metadata);
        var now = DateTimeOffset.UtcNow;
        var record = new DocumentRecord
        {
            DocumentId = intake.DocumentId, Sha256 = intake.Sha256, FileName = fileName, ContentType = TestCorpus.Pdf, Size = intake.Size,
            Blob = intake.Blob, Status = DocumentStatus.Processed, Provenance = [intake.ToProvenance()], CreatedAt = now, UpdatedAt = now,
            TextBlob = await TextBlobs.WriteAsync(Store, intake.DocumentId, text, CancellationToken.None),
            DocumentType = type, Departments = [department], Language = Languages.English, Summary = text,
        };
        await Catalog.SaveAsync(record, CancellationToken.None);
        return record;
    }

    private static DocumentProcessed Processed(DocumentRecord record) => new(
        record.DocumentId, record.Sha256, record.FileName, record.DocumentType!, record.Departments, record.Language!, record.Summary!, record.UpdatedAt);

    private async Task DeliverAsync<T>(string route, T data)
    {
        var envelope = new JsonObject
        {
            ["specversion"] = "1.0",
            ["type"] = "com.dapr.event.sent",
            ["source"] = DaprNames.AppIds.DocumentApi,
            ["id"] = Guid.NewGuid().ToString(),
            ["datacontenttype"] = "application/json",
            ["data"] = JsonSerializer.SerializeToNode(data, KmrlJson.Options),
        };
        using var request = new HttpRequestMessage(HttpMethod.Post, route)
        {
            Content = new StringContent(envelope.ToJsonString(), Encoding.UTF8, "application/cloudevents+json"),
        };
        request.Headers.Add("dapr-api-token", DocumentApiFactory.SidecarToken);
        var response = await factory.CreateClient().SendAsync(request);
        response.EnsureSuccessStatusCode();
        Assert.Equal("SUCCESS", (string?)(await response.Content.ReadFromJsonAsync<JsonObject>())!["status"]);
    }
}
