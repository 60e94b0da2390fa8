using Kmrl.Contracts;
using Kmrl.DocumentApi.Activities;
using Kmrl.DocumentApi.Adapters;
using Kmrl.DocumentApi.Extensions;
using Kmrl.DocumentApi.Ports;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Kmrl.DocumentApi.Tests.Activities;

public sealed class CatalogActivitiesTests
{
    private readonly (Kmrl.ClaimCheck.IDocumentContentStore Store, InMemoryBlobStorage Storage) _blobs = InMemoryBlobStorage.NewStore();
    private readonly InMemoryStateStore _state = new();
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 27, 4, 0, 0, TimeSpan.Zero));
    private readonly RecordingEvents _events = new();
    private readonly StateStoreCatalog _catalog;

    public CatalogActivitiesTests() => _catalog = new StateStoreCatalog(_state, _time);

    private DeduplicateDocumentActivity Dedupe => new(_catalog, _time);

    private static readonly byte[] Circular = TestCorpus.TextPdf("Safety circular 14: check fire alarm panels daily.");

    [Fact]
    public async Task The_first_arrival_of_content_claims_its_hash_and_continues()
    {
        var intake = await Intakes.StoreAsync(_blobs.Store, Circular, "circular.pdf", TestCorpus.Pdf, DocumentSources.Email, "INBOX/1/77");

        var result = await Dedupe.RunAsync(new TestActivityContext(), intake);

        Assert.False(result.IsDuplicate);
        Assert.Equal(intake.DocumentId, await _catalog.FindBySha256Async(intake.Sha256, CancellationToken.None));
        Assert.Equal(DocumentStatus.Processing, (await _catalog.GetAsync(intake.DocumentId, CancellationToken.None))!.Status);
    }

    [Fact]
    public async Task The_same_file_by_email_and_whatsapp_is_one_record_with_two_provenances()
    {
        var byMail = await Intakes.StoreAsync(_blobs.Store, Circular, "circular.pdf", TestCorpus.Pdf, DocumentSources.Email, "INBOX/1/77");
        var byWhatsApp = await Intakes.StoreAsync(_blobs.Store, Circular, "IMG-circular.pdf", TestCorpus.Pdf, DocumentSources.WhatsApp, "wamid.HBg");
        await Dedupe.RunAsync(new TestActivityContext(), byMail);

        var result = await Dedupe.RunAsync(new TestActivityContext(), byWhatsApp);

        Assert.True(result.IsDuplicate);
        Assert.Equal(byMail.DocumentId, result.ExistingDocumentId);
        var original = (await _catalog.GetAsync(byMail.DocumentId, CancellationToken.None))!;
        Assert.Equal([DocumentSources.Email, DocumentSources.WhatsApp], original.Provenance.Select(p => p.Source));
        var alias = (await _catalog.GetAsync(byWhatsApp.DocumentId, CancellationToken.None))!;
        Assert.Equal(DocumentStatus.Duplicate, alias.Status);
        Assert.Equal(byMail.DocumentId, alias.DuplicateOf);
    }

    [Fact]
    public async Task A_retried_dedupe_adds_the_provenance_once()
    {
        var first = await Intakes.StoreAsync(_blobs.Store, Circular, "a.pdf", TestCorpus.Pdf, DocumentSources.Email, "m1");
        var copy = await Intakes.StoreAsync(_blobs.Store, Circular, "b.pdf", TestCorpus.Pdf, DocumentSources.SharePoint, "drive/item/9");
        await Dedupe.RunAsync(new TestActivityContext(), first);

        await Dedupe.RunAsync(new TestActivityContext(), copy);
        await Dedupe.RunAsync(new TestActivityContext(), copy);

        Assert.Equal(2, (await _catalog.GetAsync(first.DocumentId, CancellationToken.None))!.Provenance.Count);
    }

    [Fact]
    public async Task Cataloguing_saves_the_record_and_publishes_processed_routed_and_the_deadline_alert()
    {
        var intake = await Intakes.StoreAsync(_blobs.Store, Circular, "circular.pdf", TestCorpus.Pdf);
        var activity = new CatalogDocumentActivity(_catalog, _events, _time, Options.Create(new DocumentProcessingOptions { DeadlineHorizonDays = 14 }));

        var result = await activity.RunAsync(new TestActivityContext(), Input(intake, deadline: new DateOnly(2026, 12, 5), "safety", "operations"));

        var record = (await _catalog.GetAsync(intake.DocumentId, CancellationToken.None))!;
        Assert.Equal(DocumentStatus.Processed, record.Status);
        Assert.Equal("safety-circular", record.DocumentType);
        Assert.Equal(Languages.English, record.Language);
        Assert.Equal(["safety", "operations"], result.RoutedTo);
        Assert.Single(_events.On<DocumentProcessed>(DaprNames.Topics.DocumentProcessed));
        Assert.Equal("safety", Assert.Single(_events.On<DocumentRouted>(DaprNames.Topics.ForDepartment("safety"))).Department);
        Assert.Single(_events.On<DocumentRouted>(DaprNames.Topics.ForDepartment("operations")));
        var alert = Assert.Single(_events.On<DocumentDeadlineApproaching>(DaprNames.Topics.DocumentDeadlineApproaching));
        Assert.Equal(new DateOnly(2026, 12, 5), alert.Deadline);
    }

    [Fact]
    public async Task A_deadline_beyond_the_horizon_raises_no_alert()
    {
        var intake = await Intakes.StoreAsync(_blobs.Store, Circular, "circular.pdf", TestCorpus.Pdf);
        var activity = new CatalogDocumentActivity(_catalog, _events, _time, Options.Create(new DocumentProcessingOptions { DeadlineHorizonDays = 7 }));

        var result = await activity.RunAsync(new TestActivityContext(), Input(intake, deadline: new DateOnly(2027, 1, 30), "safety"));

        Assert.False(result.DeadlineAlertRaised);
        Assert.Empty(_events.On<DocumentDeadlineApproaching>(DaprNames.Topics.DocumentDeadlineApproaching));
    }

    [Fact]
    public async Task Rejecting_records_the_stage_and_reason_and_publishes_document_rejected()
    {
        var intake = await Intakes.StoreAsync(_blobs.Store, TestCorpus.EncryptedPdf(), "locked.pdf", TestCorpus.Pdf);

        await new RejectDocumentActivity(_catalog, _events, _time).RunAsync(new TestActivityContext(), new RejectInput(intake, Stages.Validate, "encrypted-pdf: has /Encrypt"));

        var record = (await _catalog.GetAsync(intake.DocumentId, CancellationToken.None))!;
        Assert.Equal(DocumentStatus.Rejected, record.Status);
        Assert.Equal(new Rejection(Stages.Validate, "encrypted-pdf: has /Encrypt", _time.GetUtcNow()), record.Rejection);
        var rejected = Assert.Single(_events.On<DocumentRejected>(DaprNames.Topics.DocumentRejected));
        Assert.Equal(Stages.Validate, rejected.Stage);
        Assert.Equal(intake.IdempotencyKey, rejected.IdempotencyKey);
    }

    [Fact]
    public async Task A_save_that_loses_an_etag_race_retries_and_keeps_the_other_writers_change()
    {
        var intake = await Intakes.StoreAsync(_blobs.Store, Circular, "circular.pdf", TestCorpus.Pdf);
        await Dedupe.RunAsync(new TestActivityContext(), intake);
        var dayKey = StateStoreCatalog.DayKey(new DateOnly(2026, 11, 27), intake.DocumentId);
        // Another document lands in the same day-index shard between our read of the shard and our write.
        _state.BeforeWrite = (store, key) =>
        {
            if (key != dayKey) return;
            _state.BeforeWrite = null;
            store.Touch(dayKey, new CatalogDayIndex(
            [
                new CatalogIndexEntry("doc-other", ["email"], ["finance"], "invoice", DocumentStatus.Processed, _time.GetUtcNow()),
                new CatalogIndexEntry(intake.DocumentId, ["upload"], [], null, DocumentStatus.Processing, _time.GetUtcNow()),
            ]));
        };
        var conflictsBefore = _state.Conflicts;

        var record = (await _catalog.GetAsync(intake.DocumentId, CancellationToken.None))! with { Status = DocumentStatus.Processed, DocumentType = "safety-circular" };
        await _catalog.SaveAsync(record, CancellationToken.None);

        Assert.Equal(conflictsBefore + 1, _state.Conflicts);
        var day = (await _state.GetAsync<CatalogDayIndex>(dayKey, CancellationToken.None))!.Value;
        Assert.Contains(day.Entries, e => e.DocumentId == "doc-other");
        Assert.Equal("safety-circular", day.Entries.Single(e => e.DocumentId == intake.DocumentId).DocumentType);
    }

    [Fact]
    public async Task Thirty_two_writers_of_the_same_day_hash_and_source_item_lose_no_index_entry()
    {
        var day = new DateOnly(2026, 11, 27);
        var intakes = new List<DocumentIntake>();
        for (var i = 0; i < 32; i++)
        {
            // Distinct documents that share the day, the hash and the source item: every index key is contended.
            intakes.Add(await Intakes.StoreAsync(_blobs.Store, Circular, $"copy-{i}.pdf", TestCorpus.Pdf, DocumentSources.Email, "INBOX/1/77") with { DocumentId = $"doc-{i:x32}" });
        }

        await Task.WhenAll(intakes.Select(intake => Task.Run(() =>
            _catalog.SaveAsync(DeduplicateDocumentActivity.NewRecord(intake, DocumentStatus.Processing, _time.GetUtcNow()), CancellationToken.None))));

        Assert.True(_state.Conflicts > 0, "the writers should have met each other");
        var ids = intakes.Select(i => i.DocumentId).Order(StringComparer.Ordinal).ToList();
        var bySource = (await _state.GetAsync<CatalogIdList>(StateStoreCatalog.SourceKey(DocumentSources.Email, "INBOX/1/77"), CancellationToken.None))!.Value;
        Assert.Equal(ids, bySource.Ids.Order(StringComparer.Ordinal));
        var listed = await _state.GetManyAsync<CatalogDayIndex>(StateStoreCatalog.DayKeys(day), CancellationToken.None);
        Assert.Equal(ids, listed.SelectMany(d => d.Entries).Select(e => e.DocumentId).Order(StringComparer.Ordinal));
        Assert.Contains(await _catalog.FindBySha256Async(intakes[0].Sha256, CancellationToken.None), ids);
        var page = await _catalog.QueryAsync(new DocumentQuery(DocumentSources.Email, null, null, day, day, DocumentStatus.Processing, 1, 100), CancellationToken.None);
        Assert.Equal(ids, page.Items.Select(r => r.DocumentId).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task A_crash_between_the_record_and_its_indexes_is_completed_by_the_retried_write()
    {
        var intake = await Intakes.StoreAsync(_blobs.Store, Circular, "circular.pdf", TestCorpus.Pdf, DocumentSources.Email, "INBOX/1/77");
        var record = DeduplicateDocumentActivity.NewRecord(intake, DocumentStatus.Processing, _time.GetUtcNow());
        var sourceKey = StateStoreCatalog.SourceKey(DocumentSources.Email, "INBOX/1/77");
        _state.BeforeWrite = (_, key) =>
        {
            if (key == sourceKey) throw new IOException("the process died");
        };
        await Assert.ThrowsAsync<IOException>(() => _catalog.SaveAsync(record, CancellationToken.None));
        var day = new DateOnly(2026, 11, 27);
        Assert.NotNull(await _catalog.GetAsync(intake.DocumentId, CancellationToken.None));
        Assert.Empty(await _catalog.MarkRemovedAtSourceAsync(DocumentSources.Email, "INBOX/1/77", "deleted", _time.GetUtcNow(), CancellationToken.None));
        _state.BeforeWrite = null;

        // The activity is retried: the same save again.
        await _catalog.SaveAsync(record, CancellationToken.None);

        var listed = await _catalog.QueryAsync(new DocumentQuery(null, null, null, day, day, null, 1, 10), CancellationToken.None);
        Assert.Equal(intake.DocumentId, Assert.Single(listed.Items).DocumentId);
        Assert.Equal(intake.DocumentId, Assert.Single((await _state.GetAsync<CatalogIdList>(sourceKey, CancellationToken.None))!.Value.Ids));
        Assert.Single(await _catalog.MarkRemovedAtSourceAsync(DocumentSources.Email, "INBOX/1/77", "deleted", _time.GetUtcNow(), CancellationToken.None));
    }

    [Fact]
    public async Task A_listing_does_not_return_a_record_whose_index_entry_a_crash_left_stale()
    {
        var intake = await Intakes.StoreAsync(_blobs.Store, Circular, "circular.pdf", TestCorpus.Pdf);
        await Dedupe.RunAsync(new TestActivityContext(), intake);
        var dayKey = StateStoreCatalog.DayKey(new DateOnly(2026, 11, 27), intake.DocumentId);
        _state.BeforeWrite = (_, key) =>
        {
            if (key == dayKey) throw new IOException("the process died");
        };
        var rejected = (await _catalog.GetAsync(intake.DocumentId, CancellationToken.None))! with { Status = DocumentStatus.Rejected };
        await Assert.ThrowsAsync<IOException>(() => _catalog.SaveAsync(rejected, CancellationToken.None));
        var day = new DateOnly(2026, 11, 27);

        var processing = await _catalog.QueryAsync(new DocumentQuery(null, null, null, day, day, DocumentStatus.Processing, 1, 10), CancellationToken.None);

        Assert.Empty(processing.Items);
    }

    [Fact]
    public async Task A_source_id_holding_daprs_key_separator_is_hashed_into_its_key()
    {
        var key = StateStoreCatalog.SourceKey(DocumentSources.SharePoint, "sites/ops||drive/items/7");

        Assert.DoesNotContain("||", key, StringComparison.Ordinal);
        Assert.NotEqual(key, StateStoreCatalog.SourceKey(DocumentSources.SharePoint, "sites/ops||drive/items/8"));
        Assert.DoesNotContain("||", StateStoreCatalog.DeadLetterKey("a||b"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Listing_filters_by_department_type_source_and_status_and_pages()
    {
        for (var i = 0; i < 5; i++)
        {
            var intake = await Intakes.StoreAsync(_blobs.Store, TestCorpus.TextPdf($"Invoice {i}"), $"inv-{i}.pdf", TestCorpus.Pdf, DocumentSources.Email, $"m{i}");
            _time.Advance(TimeSpan.FromMinutes(1));
            await new CatalogDocumentActivity(_catalog, _events, _time, Options.Create(new DocumentProcessingOptions()))
                .RunAsync(new TestActivityContext(), Input(intake, null, "finance") with { Classification = new ClassificationResult("invoice", ["finance"], []) });
        }
        var circular = await Intakes.StoreAsync(_blobs.Store, Circular, "circular.pdf", TestCorpus.Pdf, DocumentSources.WhatsApp, "wamid.1");
        await new CatalogDocumentActivity(_catalog, _events, _time, Options.Create(new DocumentProcessingOptions())).RunAsync(new TestActivityContext(), Input(circular, null, "safety"));
        var day = new DateOnly(2026, 11, 27);

        var firstPage = await _catalog.QueryAsync(new DocumentQuery(null, "finance", null, day, day, DocumentStatus.Processed, 1, 3), CancellationToken.None);
        var secondPage = await _catalog.QueryAsync(new DocumentQuery(null, "finance", null, day, day, DocumentStatus.Processed, 2, 3), CancellationToken.None);
        var bySource = await _catalog.QueryAsync(new DocumentQuery(DocumentSources.WhatsApp, null, null, day, day, null, 1, 10), CancellationToken.None);
        var byType = await _catalog.QueryAsync(new DocumentQuery(null, null, "safety-circular", day, day, null, 1, 10), CancellationToken.None);
        var rejected = await _catalog.QueryAsync(new DocumentQuery(null, null, null, day, day, DocumentStatus.Rejected, 1, 10), CancellationToken.None);

        Assert.Equal(["inv-4.pdf", "inv-3.pdf", "inv-2.pdf"], firstPage.Items.Select(r => r.FileName));
        Assert.True(firstPage.HasMore);
        Assert.Equal(["inv-1.pdf", "inv-0.pdf"], secondPage.Items.Select(r => r.FileName));
        Assert.False(secondPage.HasMore);
        Assert.Equal("circular.pdf", Assert.Single(bySource.Items).FileName);
        Assert.Equal("circular.pdf", Assert.Single(byType.Items).FileName);
        Assert.Empty(rejected.Items);
    }

    [Fact]
    public async Task A_removal_at_one_source_keeps_the_document_and_says_so()
    {
        var byMail = await Intakes.StoreAsync(_blobs.Store, Circular, "circular.pdf", TestCorpus.Pdf, DocumentSources.Email, "INBOX/1/77");
        var byWhatsApp = await Intakes.StoreAsync(_blobs.Store, Circular, "circular.pdf", TestCorpus.Pdf, DocumentSources.WhatsApp, "wamid.HBg");
        await Dedupe.RunAsync(new TestActivityContext(), byMail);
        await Dedupe.RunAsync(new TestActivityContext(), byWhatsApp);
        var removedAt = _time.GetUtcNow();

        var touched = await _catalog.MarkRemovedAtSourceAsync(DocumentSources.Email, "INBOX/1/77", "deleted", removedAt, CancellationToken.None);
        var again = await _catalog.MarkRemovedAtSourceAsync(DocumentSources.Email, "INBOX/1/77", "deleted", removedAt, CancellationToken.None);

        var record = Assert.Single(touched);
        Assert.Empty(again);
        Assert.Equal(SourceStatuses.RemovedAtSomeSources, record.SourceStatus);
        Assert.Equal(removedAt, record.Provenance.Single(p => p.Source == DocumentSources.Email).RemovedAt);
        await _catalog.MarkRemovedAtSourceAsync(DocumentSources.WhatsApp, "wamid.HBg", "expired", removedAt, CancellationToken.None);
        Assert.Equal(SourceStatuses.RemovedAtAllSources, (await _catalog.GetAsync(byMail.DocumentId, CancellationToken.None))!.SourceStatus);
    }

    [Fact]
    public async Task Dead_letters_are_kept_listed_and_removed()
    {
        var intake = await Intakes.StoreAsync(_blobs.Store, Circular, "c.pdf", TestCorpus.Pdf);
        var discovered = new DocumentDiscovered(intake.IdempotencyKey, intake.Source, intake.SourceId, intake.FileName, intake.DeclaredContentType,
            intake.Size, intake.Sha256, intake.Blob, intake.SourceMetadata, intake.ReceivedAt);

        await _catalog.SaveDeadLetterAsync(new DeadLetter("dl-1", discovered, _time.GetUtcNow()), CancellationToken.None);
        await _catalog.SaveDeadLetterAsync(new DeadLetter("dl-1", discovered, _time.GetUtcNow()), CancellationToken.None);
        Assert.Equal("dl-1", Assert.Single(await _catalog.ListDeadLettersAsync(CancellationToken.None)).Id);

        await _catalog.DeleteDeadLetterAsync("dl-1", CancellationToken.None);
        Assert.Empty(await _catalog.ListDeadLettersAsync(CancellationToken.None));
    }

    internal static CatalogInput Input(DocumentIntake intake, DateOnly? deadline, params string[] departments) => new(
        intake,
        ValidationResult.Accept(DocumentKind.Pdf),
        new ExtractionResult(ExtractionOutcome.Extracted, "pdfpig", null, 1, [], new Dictionary<string, string>()),
        new LanguageResult(Languages.English, 0, [new PageLanguage(1, Languages.English, 0)]),
        new ClassificationResult("safety-circular", departments, ["rule safety-circular: keyword 'circular'"]),
        new SummaryResult("Check fire alarm panels daily.", KeyFields.None with { Deadlines = deadline is { } d ? [d] : [] }));
}
