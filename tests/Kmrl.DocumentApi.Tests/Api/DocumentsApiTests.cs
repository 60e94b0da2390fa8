using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Kmrl.ClaimCheck;
using Kmrl.Contracts;
using Kmrl.DocumentApi.Apis;
using Kmrl.DocumentApi.Ports;
using Kmrl.DocumentApi.Processing;
using Kmrl.ServiceDefaults;
using Microsoft.Extensions.DependencyInjection;

namespace Kmrl.DocumentApi.Tests.Api;

public sealed class DocumentsApiTests(DocumentApiFactory factory) : IClassFixture<DocumentApiFactory>
{
    private static ByteArrayContent File(byte[] bytes, string contentType)
    {
        var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        return content;
    }

    private static MultipartFormDataContent Upload(params (byte[] Bytes, string Name, string Type)[] files)
    {
        var form = new MultipartFormDataContent();
        foreach (var (bytes, name, type) in files) form.Add(File(bytes, type), "file", name);
        return form;
    }

    private static async Task<JsonObject> ProblemAsync(HttpResponseMessage response)
    {
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        return (await response.Content.ReadFromJsonAsync<JsonObject>())!;
    }

    private IDocumentContentStore Store => factory.Services.GetRequiredService<IDocumentContentStore>();
    private ICatalog Catalog => factory.Services.GetRequiredService<ICatalog>();

    [Fact]
    public async Task An_upload_of_two_files_is_stored_and_handed_to_the_pipeline_as_one_discovery_per_file_which_starts_its_workflow()
    {
        var pdf = TestCorpus.TextPdf("Tax invoice No KMRL/INV/7 — amount payable Rs. 9,000");
        var docx = TestCorpus.Docx("HR policy on leave for all employees");
        using var form = Upload((pdf, "invoice.pdf", TestCorpus.Pdf), (docx, "leave.docx", TestCorpus.DocxType));
        form.Add(new StringContent("""{"uploadedBy":"records-office","reference":"R-17"}""", Encoding.UTF8, "application/json"), UploadHandlers.MetadataField);
        var schedulesBefore = factory.Workflows.ScheduleCalls;

        var response = await factory.ClientWith(DocumentApiFactory.UploadKey).PostAsync("/documents", form);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var body = (await response.Content.ReadFromJsonAsync<UploadResponse>(KmrlJson.Options))!;
        Assert.Equal(["invoice.pdf", "leave.docx"], body.Documents.Select(d => d.FileName));
        Assert.Equal(body.Documents[0].StatusUrl, response.Headers.Location?.OriginalString);
        // The upload itself never schedules a workflow: it publishes, as a connector does.
        Assert.Equal(schedulesBefore, factory.Workflows.ScheduleCalls);
        var published = factory.Events.On<DocumentDiscovered>(DaprNames.Topics.DocumentDiscovered);
        foreach (var (document, bytes) in body.Documents.Zip([pdf, docx]))
        {
            var discovered = Assert.Single(published, d => DocumentIntake.DocumentIdFor(d.IdempotencyKey) == document.DocumentId);
            Assert.Equal(DocumentSources.Upload, discovered.Source);
            Assert.Equal(IdempotencyKey.For(DocumentSources.Upload, discovered.SourceId, discovered.Sha256), discovered.IdempotencyKey);
            Assert.Equal("records-office", discovered.SourceMetadata["uploadedBy"]);
            Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes)), discovered.Sha256);
            await using var stored = await Store.OpenReadAsync(discovered.Blob, CancellationToken.None);
            using var copy = new MemoryStream();
            await stored.CopyToAsync(copy);
            Assert.Equal(bytes, copy.ToArray());

            // The pipeline's subscription takes it from there: one workflow per file, with what was uploaded.
            var delivery = await factory.CreateClient().SendAsync(CloudEvent(DocumentsApi.DiscoveredRoute, discovered, DocumentApiFactory.SidecarToken));
            Assert.Equal("SUCCESS", (string?)(await delivery.Content.ReadFromJsonAsync<JsonObject>())!["status"]);
            var intake = factory.Workflows.Instances[document.DocumentId];
            Assert.Equal(DocumentSources.Upload, intake.Source);
            Assert.Equal("records-office", intake.SourceMetadata["uploadedBy"]);
            Assert.Equal(discovered.Blob, intake.Blob);
        }
    }

    [Fact]
    public async Task Uploads_are_accepted_and_read_as_queued_while_the_workflow_engine_does_not_answer()
    {
        var reader = factory.ClientWith(DocumentApiFactory.ReadKey);
        factory.Workflows.Unreachable = true;
        try
        {
            using var form = Upload(("Track possession notice for Aluva"u8.ToArray(), "possession.txt", "text/plain"));
            var response = await factory.ClientWith(DocumentApiFactory.UploadKey).PostAsync("/documents", form);
            var upload = (await response.Content.ReadFromJsonAsync<UploadResponse>(KmrlJson.Options))!;

            var status = await reader.GetFromJsonAsync<JsonObject>(upload.Documents[0].StatusUrl);

            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
            Assert.Equal("queued", (string?)status!["status"]);
            Assert.Equal("possession.txt", (string?)status["fileName"]);
            Assert.Equal(DocumentSources.Upload, (string?)status["source"]);
        }
        finally
        {
            factory.Workflows.Unreachable = false;
        }
    }

    [Fact]
    public async Task Uploading_needs_a_key_with_the_upload_role()
    {
        using var form1 = Upload(("hello"u8.ToArray(), "a.txt", "text/plain"));
        using var form2 = Upload(("hello"u8.ToArray(), "a.txt", "text/plain"));
        using var form3 = Upload(("hello"u8.ToArray(), "a.txt", "text/plain"));

        Assert.Equal(HttpStatusCode.Unauthorized, (await factory.ClientWith(null).PostAsync("/documents", form1)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await factory.ClientWith("short").PostAsync("/documents", form2)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await factory.ClientWith(DocumentApiFactory.ReadKey).PostAsync("/documents", form3)).StatusCode);
    }

    [Fact]
    public async Task A_file_over_the_size_cap_is_refused_with_413_and_nothing_of_the_upload_is_kept()
    {
        var small = TestCorpus.TextPdf("small");
        var big = new byte[DocumentApiFactory.MaxFileBytes + 1];
        "%PDF-1.4"u8.CopyTo(big);
        using var form = Upload((small, "small.pdf", TestCorpus.Pdf), (big, "big.pdf", TestCorpus.Pdf));
        var objectsBefore = factory.Blobs.Objects.Keys.Where(k => k.StartsWith("upload-", StringComparison.Ordinal)).ToHashSet();

        var response = await factory.ClientWith(DocumentApiFactory.UploadKey).PostAsync("/documents", form);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Contains("big.pdf", (string?)(await ProblemAsync(response))["detail"]);
        // Neither the small file nor the chunks of the big one that were written before the cap stay behind.
        Assert.Empty(factory.Blobs.Objects.Keys.Where(k => k.StartsWith("upload-", StringComparison.Ordinal)).Except(objectsBefore));
    }

    [Fact]
    public async Task A_file_of_a_type_not_accepted_is_refused_with_415()
    {
        using var form = Upload(("MZ"u8.ToArray(), "setup.exe", "application/x-msdownload"));

        var response = await factory.ClientWith(DocumentApiFactory.UploadKey).PostAsync("/documents", form);

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
        await ProblemAsync(response);
    }

    [Fact]
    public async Task Metadata_is_capped_per_request_not_per_section()
    {
        // 60 metadata sections of 60 KB each: every one below the 64 KB cap, 3.5 MiB together.
        using var form = Upload((TestCorpus.TextPdf("capped metadata"), "a.pdf", TestCorpus.Pdf));
        var field = "{\"note\":\"" + new string('x', 60 * 1024) + "\"}";
        for (var i = 0; i < 60; i++)
        {
            form.Add(new StringContent(field, Encoding.UTF8, "application/json"), UploadHandlers.MetadataField);
        }
        var discoveredBefore = factory.Events.On<DocumentDiscovered>(DaprNames.Topics.DocumentDiscovered).Count;

        using var response = await factory.ClientWith(DocumentApiFactory.UploadKey).PostAsync("/documents", form);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Contains("64 KB", (string?)(await ProblemAsync(response))["detail"]);
        Assert.Equal(discoveredBefore, factory.Events.On<DocumentDiscovered>(DaprNames.Topics.DocumentDiscovered).Count);
    }

    [Fact]
    public async Task Too_many_files_or_none_or_bad_metadata_are_refused_with_400()
    {
        var client = factory.ClientWith(DocumentApiFactory.UploadKey);
        using var tooMany = Upload(Enumerable.Range(0, DocumentApiFactory.MaxFiles + 1).Select(i => (Encoding.UTF8.GetBytes($"note {i}"), $"n{i}.txt", "text/plain")).ToArray());
        using var none = new MultipartFormDataContent { { new StringContent("{}"), UploadHandlers.MetadataField } };
        using var badMetadata = Upload(("note"u8.ToArray(), "n.txt", "text/plain"));
        badMetadata.Add(new StringContent("[1,2,3]"), UploadHandlers.MetadataField);

        foreach (var form in new[] { tooMany, none, badMetadata })
        {
            var response = await client.PostAsync("/documents", form);
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            await ProblemAsync(response);
        }
    }

    [Fact]
    public async Task A_body_that_is_not_multipart_is_refused_with_415()
    {
        var response = await factory.ClientWith(DocumentApiFactory.UploadKey).PostAsync("/documents", JsonContent.Create(new { file = "x" }));

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
    }

    [Fact]
    public async Task An_accepted_upload_reads_as_queued_a_document_in_its_workflow_as_processing_and_an_unknown_one_is_404()
    {
        using var form = Upload(("Shift roster for Kaloor station"u8.ToArray(), "roster.txt", "text/plain"));
        var upload = (await (await factory.ClientWith(DocumentApiFactory.UploadKey).PostAsync("/documents", form)).Content.ReadFromJsonAsync<UploadResponse>(KmrlJson.Options))!;
        var discovered = await DiscoveredAsync("wamid.RUNNING");
        await factory.CreateClient().SendAsync(CloudEvent(DocumentsApi.DiscoveredRoute, discovered, DocumentApiFactory.SidecarToken));
        var reader = factory.ClientWith(DocumentApiFactory.ReadKey);

        var queued = await reader.GetFromJsonAsync<JsonObject>(upload.Documents[0].StatusUrl);
        var pending = await reader.GetFromJsonAsync<JsonObject>($"/documents/{DocumentIntake.DocumentIdFor(discovered.IdempotencyKey)}");
        var missing = await reader.GetAsync("/documents/doc-does-not-exist");

        Assert.Equal("queued", (string?)queued!["status"]);
        Assert.Equal(upload.Documents[0].DocumentId, (string?)queued["documentId"]);
        Assert.Equal("processing", (string?)pending!["status"]);
        Assert.Equal("extract", (string?)pending["stage"]);
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        await ProblemAsync(missing);
    }

    [Fact]
    public async Task An_upload_the_pipeline_cannot_take_is_503_and_its_content_is_not_kept()
    {
        var objectsBefore = factory.Blobs.Objects.Keys.Where(k => k.StartsWith("upload-", StringComparison.Ordinal)).ToHashSet();
        factory.Events.FailNext = true;
        try
        {
            using var form = Upload(("Lost in transit"u8.ToArray(), "lost.txt", "text/plain"));

            var response = await factory.ClientWith(DocumentApiFactory.UploadKey).PostAsync("/documents", form);

            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
            Assert.Contains("lost.txt", (string?)(await ProblemAsync(response))["detail"]);
            Assert.Empty(factory.Blobs.Objects.Keys.Where(k => k.StartsWith("upload-", StringComparison.Ordinal)).Except(objectsBefore));
        }
        finally
        {
            factory.Events.FailNext = false;
        }
    }

    [Fact]
    public async Task A_processed_document_shows_its_record_content_text_and_appears_in_listings()
    {
        var (record, original, text) = await SeedProcessedAsync("finance-note.pdf", "finance", "invoice");
        var reader = factory.ClientWith(DocumentApiFactory.ReadKey);

        var json = await reader.GetFromJsonAsync<JsonObject>($"/documents/{record.DocumentId}");
        var content = await reader.GetByteArrayAsync($"/documents/{record.DocumentId}/content");
        var extracted = await reader.GetStringAsync($"/documents/{record.DocumentId}/text");
        var listing = await reader.GetFromJsonAsync<JsonObject>("/documents?department=finance&type=invoice&status=processed&pageSize=50");

        Assert.Equal("processed", (string?)json!["status"]);
        Assert.Equal("invoice", (string?)json["documentType"]);
        Assert.Equal("present", (string?)json["sourceStatus"]);
        Assert.Equal(original, content);
        Assert.Equal(text, extracted);
        Assert.Contains(listing!["items"]!.AsArray(), item => (string?)item!["documentId"] == record.DocumentId);
    }

    [Fact]
    public async Task A_scan_s_archive_copy_is_served_as_a_pdf_and_a_document_without_one_is_a_404_problem_saying_why()
    {
        var (scan, _, _) = await SeedProcessedAsync("scan.png", "operations", "notice");
        var archivePdf = TestCorpus.TextPdf("searchable copy of scan.png");
        await using (var content = new MemoryStream(archivePdf))
        {
            var blob = await Store.WriteAsync(ScanArchive.KeyFor(scan.DocumentId), content, CancellationToken.None);
            await Catalog.SaveAsync(scan with { ArchiveBlob = blob, Archive = ArchiveStatuses.Stored }, CancellationToken.None);
        }
        var (missing, _, _) = await SeedProcessedAsync("scan-on-a-laptop.png", "operations", "notice");
        await Catalog.SaveAsync(missing with { Archive = ArchiveStatuses.ToolMissing }, CancellationToken.None);
        var (text, _, _) = await SeedProcessedAsync("typed.pdf", "operations", "notice");
        var reader = factory.ClientWith(DocumentApiFactory.ReadKey);

        var served = await reader.GetAsync($"/documents/{scan.DocumentId}/archive");
        var toolMissing = await reader.GetAsync($"/documents/{missing.DocumentId}/archive");
        var notAScan = await reader.GetAsync($"/documents/{text.DocumentId}/archive");
        var unknown = await reader.GetAsync("/documents/no-such-document/archive");

        Assert.Equal(HttpStatusCode.OK, served.StatusCode);
        Assert.Equal("application/pdf", served.Content.Headers.ContentType?.MediaType);
        Assert.Equal("scan.pdf", served.Content.Headers.ContentDisposition?.FileName);
        Assert.Equal(archivePdf, await served.Content.ReadAsByteArrayAsync());
        Assert.Equal(HttpStatusCode.NotFound, toolMissing.StatusCode);
        Assert.Contains("tool-missing:ocrmypdf", (string?)(await ProblemAsync(toolMissing))["detail"]);
        Assert.Equal(HttpStatusCode.NotFound, notAScan.StatusCode);
        Assert.Contains("only scans", (string?)(await ProblemAsync(notAScan))["detail"]);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        await ProblemAsync(unknown);
    }

    [Fact]
    public async Task A_listing_with_a_bad_status_or_page_size_is_400()
    {
        var reader = factory.ClientWith(DocumentApiFactory.ReadKey);

        Assert.Equal(HttpStatusCode.BadRequest, (await reader.GetAsync("/documents?status=lost")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await reader.GetAsync("/documents?pageSize=1000")).StatusCode);
    }

    [Fact]
    public async Task A_discovered_document_starts_its_workflow_once_however_often_it_is_delivered()
    {
        var discovered = await DiscoveredAsync("wamid.ONCE");
        var client = factory.CreateClient();

        var first = await client.SendAsync(CloudEvent(DocumentsApi.DiscoveredRoute, discovered, DocumentApiFactory.SidecarToken));
        var again = await client.SendAsync(CloudEvent(DocumentsApi.DiscoveredRoute, discovered, DocumentApiFactory.SidecarToken));

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal("SUCCESS", (string?)(await again.Content.ReadFromJsonAsync<JsonObject>())!["status"]);
        var id = DocumentIntake.DocumentIdFor(discovered.IdempotencyKey);
        Assert.Equal(DocumentSources.WhatsApp, factory.Workflows.Instances[id].Source);
        Assert.Single(factory.Workflows.Instances.Keys, k => k == id);
    }

    [Fact]
    public async Task Sidecar_routes_refuse_calls_without_the_app_api_token()
    {
        var discovered = await DiscoveredAsync("wamid.NOTOKEN");

        var response = await factory.CreateClient().SendAsync(CloudEvent(DocumentsApi.DiscoveredRoute, discovered, token: null));
        var wrong = await factory.CreateClient().SendAsync(CloudEvent(DocumentsApi.DiscoveredRoute, discovered, token: "guess"));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        Assert.False(factory.Workflows.Instances.ContainsKey(DocumentIntake.DocumentIdFor(discovered.IdempotencyKey)));
    }

    [Fact]
    public async Task A_malformed_discovery_is_dropped_to_the_dead_letter_topic()
    {
        var discovered = await DiscoveredAsync("wamid.BAD") with { IdempotencyKey = "" };

        var response = await factory.CreateClient().SendAsync(CloudEvent(DocumentsApi.DiscoveredRoute, discovered, DocumentApiFactory.SidecarToken));

        Assert.Equal("DROP", (string?)(await response.Content.ReadFromJsonAsync<JsonObject>())!["status"]);
    }

    [Fact]
    public async Task The_subscriptions_name_the_topics_and_the_dead_letter_topic()
    {
        var subscriptions = await factory.CreateClient().GetFromJsonAsync<JsonArray>("/dapr/subscribe");

        var discovered = subscriptions!.Single(s => (string?)s!["topic"] == DaprNames.Topics.DocumentDiscovered)!;
        Assert.Equal(DaprNames.Components.PubSub, (string?)discovered["pubsubName"]);
        Assert.Equal(DaprNames.Topics.DocumentDiscoveredDeadLetter, (string?)discovered["deadLetterTopic"]);
        Assert.Contains(subscriptions!, s => (string?)s!["topic"] == DaprNames.Topics.DocumentRemovedAtSource);
        Assert.Contains(subscriptions!, s => (string?)s!["topic"] == DaprNames.Topics.DocumentDiscoveredDeadLetter);
    }

    [Fact]
    public async Task A_removal_at_source_marks_that_provenance_removed()
    {
        var (record, _, _) = await SeedProcessedAsync("roster.pdf", "operations", "other");
        var provenance = record.Provenance.Single();
        var removed = new DocumentRemovedAtSource(provenance.Source, provenance.SourceId, "deleted in mailbox", new Dictionary<string, string>(), DateTimeOffset.UtcNow);

        var response = await factory.CreateClient().SendAsync(CloudEvent(DocumentsApi.RemovedRoute, removed, DocumentApiFactory.SidecarToken));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var after = await factory.ClientWith(DocumentApiFactory.ReadKey).GetFromJsonAsync<JsonObject>($"/documents/{record.DocumentId}");
        Assert.Equal(SourceStatuses.RemovedAtAllSources, (string?)after!["sourceStatus"]);
        Assert.Equal("deleted in mailbox", (string?)after["provenance"]![0]!["removalReason"]);
    }

    [Fact]
    public async Task A_dead_letter_is_listed_and_replayed_into_a_workflow()
    {
        var discovered = await DiscoveredAsync("wamid.DEAD");
        await factory.CreateClient().SendAsync(CloudEvent(DocumentsApi.DeadLetterRoute, discovered, DocumentApiFactory.SidecarToken));

        var listed = await factory.ClientWith(DocumentApiFactory.ReadKey).GetFromJsonAsync<JsonArray>("/dead-letters");
        Assert.Contains(listed!, d => (string?)d!["id"] == discovered.IdempotencyKey);
        var replay = await factory.ClientWith(DocumentApiFactory.UploadKey).PostAsync($"/dead-letters/{discovered.IdempotencyKey}/replay", null);

        Assert.Equal(HttpStatusCode.Accepted, replay.StatusCode);
        Assert.True(factory.Workflows.Instances.ContainsKey(DocumentIntake.DocumentIdFor(discovered.IdempotencyKey)));
        var after = await factory.ClientWith(DocumentApiFactory.ReadKey).GetFromJsonAsync<JsonArray>("/dead-letters");
        Assert.DoesNotContain(after!, d => (string?)d!["id"] == discovered.IdempotencyKey);
    }

    [Fact]
    public async Task Reprocessing_starts_a_new_run_for_the_same_document_and_its_events_are_readable()
    {
        var (record, _, _) = await SeedProcessedAsync("drawing.pdf", "engineering", "drawing");
        factory.Workflows.Instances[record.DocumentId] = factory.Workflows.Instances.GetValueOrDefault(record.DocumentId)
            ?? new DocumentIntake(record.DocumentId, "k", "upload", "s", record.FileName, record.ContentType, record.Size, record.Sha256, record.Blob, new Dictionary<string, string>(), record.CreatedAt);
        factory.Workflows.Histories[record.DocumentId] = [new WorkflowRunEvent(0, "ExecutionStarted", new DateTime(2026, 11, 27, 4, 0, 0, DateTimeKind.Utc)), new WorkflowRunEvent(1, "TaskScheduled", new DateTime(2026, 11, 27, 4, 0, 1, DateTimeKind.Utc))];

        var response = await factory.ClientWith(DocumentApiFactory.UploadKey).PostAsync($"/documents/{record.DocumentId}/reprocess", null);
        var body = (await response.Content.ReadFromJsonAsync<ReprocessResponse>(KmrlJson.Options))!;
        var events = await factory.ClientWith(DocumentApiFactory.ReadKey).GetFromJsonAsync<JsonObject>($"/documents/{record.DocumentId}/events");

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.StartsWith(record.DocumentId + "-r", body.Run);
        Assert.Equal(record.DocumentId, factory.Workflows.Instances[body.Run].DocumentId);
        Assert.Equal([record.DocumentId, body.Run], events!["runs"]!.AsArray().Select(r => (string?)r!["run"]));
        Assert.Equal(["ExecutionStarted", "TaskScheduled"], events["events"]!.AsArray().Select(e => (string?)e!["type"]));
    }

    [Fact]
    public async Task The_openapi_document_describes_the_documents_api_to_a_client_with_a_key_and_to_nobody_else_outside_development()
    {
        using var anonymous = await factory.CreateClient().GetAsync("/openapi/v1.json");
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);

        var openApi = await factory.ClientWith(DocumentApiFactory.ReadKey).GetFromJsonAsync<JsonObject>("/openapi/v1.json");

        var paths = openApi!["paths"]!.AsObject();
        Assert.True(paths.ContainsKey("/documents"));
        Assert.True(paths.ContainsKey("/documents/{id}/text"));
        Assert.False(paths.ContainsKey(DocumentsApi.DiscoveredRoute));
    }

    private async Task<(DocumentRecord Record, byte[] Original, string Text)> SeedProcessedAsync(string fileName, string department, string type)
    {
        var original = TestCorpus.TextPdf($"{fileName} body");
        var intake = await Intakes.StoreAsync(Store, original, fileName, TestCorpus.Pdf, DocumentSources.Email, "INBOX/" + Guid.NewGuid().ToString("N"));
        var text = $"Extracted text of {fileName}";
        var textBlob = await TextBlobs.WriteAsync(Store, intake.DocumentId, text, CancellationToken.None);
        var now = DateTimeOffset.UtcNow;
        var record = new DocumentRecord
        {
            DocumentId = intake.DocumentId, Sha256 = intake.Sha256, FileName = fileName, ContentType = TestCorpus.Pdf, Size = intake.Size,
            Blob = intake.Blob, Status = DocumentStatus.Processed, Provenance = [intake.ToProvenance()], CreatedAt = now, UpdatedAt = now,
            TextBlob = textBlob, DocumentType = type, Departments = [department], Language = Languages.English, Summary = text,
        };
        await Catalog.SaveAsync(record, CancellationToken.None);
        return (record, original, text);
    }

    private async Task<DocumentDiscovered> DiscoveredAsync(string sourceId)
    {
        var intake = await Intakes.StoreAsync(Store, Encoding.UTF8.GetBytes("circular " + sourceId), "circular.txt", "text/plain", DocumentSources.WhatsApp, sourceId);
        return new DocumentDiscovered(intake.IdempotencyKey, intake.Source, intake.SourceId, intake.FileName, intake.DeclaredContentType,
            intake.Size, intake.Sha256, intake.Blob, new Dictionary<string, string> { ["from"] = "919800000000" }, intake.ReceivedAt);
    }

    /// <summary>What daprd posts for a subscription: a CloudEvent envelope, with the app token when one is set.</summary>
    private static HttpRequestMessage CloudEvent<T>(string route, T data, string? token)
    {
        var envelope = new JsonObject
        {
            ["specversion"] = "1.0",
            ["type"] = "com.dapr.event.sent",
            ["source"] = "whatsapp-connector",
            ["id"] = Guid.NewGuid().ToString(),
            ["datacontenttype"] = "application/json",
            ["data"] = JsonSerializer.SerializeToNode(data, KmrlJson.Options),
        };
        var request = new HttpRequestMessage(HttpMethod.Post, route)
        {
            Content = new StringContent(envelope.ToJsonString(), Encoding.UTF8, "application/cloudevents+json"),
        };
        if (token is not null) request.Headers.Add("dapr-api-token", token);
        return request;
    }
}
