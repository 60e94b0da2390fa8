namespace Kmrl.Search.Tests;

/// <summary>
/// One contract, run against every engine: a subclass supplies a fresh, empty index per test. Whatever the engine,
/// the same query over the same documents finds the same documents, and the scope hides documents from totals and
/// facet counts as well as from the hits.
/// </summary>
public abstract class SearchIndexContract : IAsyncLifetime
{
    private ISearchIndex? _index;

    protected ISearchIndex Index => _index ?? throw new InvalidOperationException("Not initialised.");

    protected abstract Task<ISearchIndex> CreateIndexAsync();

    /// <summary>
    /// An empty index that ranks every hit by relevance. Lucene always does; PostgreSQL ranks the newest
    /// Search:Postgres:RankWindow hits (1,000) and needs RankWindow 0 for this (its own tests cover the window).
    /// </summary>
    protected virtual Task<ISearchIndex> CreateIndexRankingEveryHitAsync() => CreateIndexAsync();

    public async Task InitializeAsync()
    {
        _index = await CreateIndexAsync();
        foreach (var document in SearchCorpus.All)
        {
            await Index.UpsertAsync(document, CancellationToken.None);
        }
    }

    public virtual Task DisposeAsync()
    {
        (_index as IDisposable)?.Dispose();
        return _index is IAsyncDisposable asyncDisposable ? asyncDisposable.DisposeAsync().AsTask() : Task.CompletedTask;
    }

    [Fact]
    public async Task An_English_word_finds_its_inflected_forms_by_stem_and_not_a_lookalike()
    {
        // ml-circulars is found by its library path, "Shared Documents/Circulars"; tender-track-circuits never is.
        Assert.Equal(["en-circulars", "ml-circulars"], (await IdsAsync("circular")).Order(StringComparer.Ordinal));
        Assert.Equal(["job-card"], await IdsAsync("replacing brakes"));
    }

    [Fact]
    public async Task A_Malayalam_word_finds_the_document_where_it_is_inflected()
    {
        // സർക്കുലർ (circular) is written സർക്കുലറിൽ (in the circular) and സർക്കുലറുകൾ (circulars) in the documents.
        Assert.Equal(["ml-circular", "ml-circulars"], (await IdsAsync("സർക്കുലർ")).Order(StringComparer.Ordinal));
        Assert.Equal(["ml-circular"], await IdsAsync("സ്റ്റേഷൻ സർക്കുലർ"));
        Assert.Empty(await IdsAsync("ട്രെയിൻ"));
    }

    [Fact]
    public async Task A_phrase_matches_the_words_in_order_only()
    {
        Assert.Equal(["job-card"], await IdsAsync("\"rolling stock\""));
        Assert.Empty(await IdsAsync("\"stock rolling\""));
        Assert.Equal(["ml-circulars"], await IdsAsync("\"പുതിയ സർക്കുലറുകൾ\""));
    }

    [Fact]
    public async Task A_prefix_matches_words_that_start_with_it_in_either_script()
    {
        Assert.Equal(["invoice"], await IdsAsync("escal*"));
        Assert.Equal(["ml-circular"], await IdsAsync("സ്റ്റേഷ*"));
    }

    [Fact]
    public async Task A_fuzzy_word_finds_a_seeded_OCR_error_that_the_plain_word_misses()
    {
        Assert.Empty(await IdsAsync("inspection"));
        Assert.Equal(["ocr-inspection"], await IdsAsync("inspection~"));
    }

    [Fact]
    public async Task A_minus_leaves_out_the_documents_with_that_word_in_either_script_and_across_inflection()
    {
        // "circular" finds en-circulars by its text and ml-circulars by its library path.
        Assert.Equal(["ml-circulars"], await IdsAsync("circular -monsoon"));
        Assert.Equal(["en-circulars"], await IdsAsync("circular -\"shared documents\""));
        // -സർക്കുലർ leaves out സർക്കുലറുകൾ; -സ്റ്റേഷൻ leaves out സ്റ്റേഷനുകളിലും.
        Assert.Equal(["en-circulars"], await IdsAsync("circular -സർക്കുലർ"));
        Assert.Equal(["ml-circulars"], await IdsAsync("സർക്കുലർ -സ്റ്റേഷൻ"));
        Assert.Equal(["job-card"], await IdsAsync("invoice OR maintenance -escal*"));
        // A hyphen inside a word is the word's own, not an exclusion.
        Assert.Equal(["job-card"], await IdsAsync("WO-2025-0042"));
    }

    [Fact]
    public async Task Only_exclusions_list_everything_else_newest_first_and_the_counts_follow()
    {
        var results = await SearchAsync(new SearchRequest { Query = SearchQuery.Parse("-circular -സർക്കുലർ"), Facets = [SearchFacets.Type] });

        var expected = SearchCorpus.All.Where(d => d.DocumentId is not ("en-circulars" or "ml-circulars" or "ml-circular"))
            .OrderByDescending(d => d.CreatedAt).Select(d => d.DocumentId);
        Assert.Equal(expected, results.Hits.Select(h => h.DocumentId));
        Assert.Equal(5, results.Total);
        Assert.DoesNotContain(results.Facets[SearchFacets.Type], f => f.Value == "safety-circular");
        // Inside a reader's scope an exclusion never brings another department's document in.
        Assert.Equal(["job-card"], (await SearchAsync(new SearchRequest { Query = SearchQuery.Parse("-invoice") }, AccessScope.ForDepartments(["maintenance"])))
            .Hits.Select(h => h.DocumentId));
    }

    [Fact]
    public async Task OR_finds_either_and_binds_tighter_than_the_spaces_between_words()
    {
        Assert.Equal(["invoice", "tender"], (await IdsAsync("invoice OR tender")).Order(StringComparer.Ordinal));
        Assert.Equal(["en-circulars", "ml-circular", "ml-circulars"], (await IdsAsync("circular OR സർക്കുലർ")).Order(StringComparer.Ordinal));
        Assert.Equal(["invoice", "job-card"], (await IdsAsync("\"rolling stock\" OR escal*")).Order(StringComparer.Ordinal));
        Assert.Equal(["ocr-inspection", "tender"], (await IdsAsync("inspection~ OR tender")).Order(StringComparer.Ordinal));
        // (tender OR escalator) AND invoice: the tender notice has no "invoice".
        Assert.Equal(["invoice"], await IdsAsync("tender OR escalator invoice"));
        Assert.Equal(["ml-circulars", "tender"], (await IdsAsync("circular OR tender -monsoon")).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task OR_counts_and_facets_stay_inside_the_readers_scope()
    {
        var results = await SearchAsync(new SearchRequest { Query = SearchQuery.Parse("invoice OR maintenance OR leave"), Facets = SearchFacets.All },
            AccessScope.ForDepartments(["maintenance"]));

        Assert.Equal(["job-card"], results.Hits.Select(h => h.DocumentId));
        Assert.Equal(1, results.Total);
        Assert.Equal(new Dictionary<string, long> { ["maintenance"] = 1 }, Actual(results, SearchFacets.Department));
    }

    [Fact]
    public async Task Each_side_of_an_OR_is_marked_in_the_snippets_of_the_documents_it_found()
    {
        var hits = (await SearchAsync(new SearchRequest { Query = SearchQuery.Parse("payable OR tender -brake") })).Hits.ToDictionary(h => h.DocumentId);

        Assert.Equal(["invoice", "tender"], hits.Keys.Order(StringComparer.Ordinal));
        Assert.Contains("<mark>payable</mark>", hits["invoice"].Snippet, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("<mark>tender</mark>", hits["tender"].Snippet, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Key_fields_file_names_and_source_metadata_are_searchable()
    {
        Assert.Equal(["job-card"], await IdsAsync("WO-2025-0042"));
        Assert.Equal(["invoice"], await IdsAsync("otis"));
        Assert.Equal(["ocr-inspection"], await IdsAsync("\"98470 12345\""));
        Assert.Equal(["tender"], await IdsAsync("tender-track-circuits.pdf"));
    }

    [Fact]
    public async Task Facets_count_every_hit_not_only_the_page()
    {
        var results = await SearchAsync(new SearchRequest { PageSize = 1, Facets = SearchFacets.All });

        Assert.Equal(SearchCorpus.All.Count, results.Total);
        Assert.Single(results.Hits);
        Assert.Equal(Expected(SearchCorpus.All, d => d.Departments), Actual(results, SearchFacets.Department));
        Assert.Equal(Expected(SearchCorpus.All, d => [d.DocumentType!]), Actual(results, SearchFacets.Type));
        Assert.Equal(Expected(SearchCorpus.All, d => d.Sources), Actual(results, SearchFacets.Source));
        Assert.Equal(Expected(SearchCorpus.All, d => [d.Language!]), Actual(results, SearchFacets.Language));
        Assert.Equal(new Dictionary<string, long> { ["false"] = 6, ["true"] = 2 }, Actual(results, SearchFacets.HasDeadline));
    }

    [Fact]
    public async Task Filters_narrow_the_hits_and_the_facet_counts_together()
    {
        var results = await SearchAsync(new SearchRequest
        {
            Filters = new SearchFilters { Departments = ["operations", "safety"], Languages = ["ml"] },
            Facets = [SearchFacets.Department, SearchFacets.Source],
        });

        Assert.Equal(["ml-circular", "ml-circulars"], results.Hits.Select(h => h.DocumentId).Order(StringComparer.Ordinal));
        Assert.Equal(2, results.Total);
        Assert.Equal(new Dictionary<string, long> { ["operations"] = 2, ["safety"] = 1 }, Actual(results, SearchFacets.Department));
        Assert.Equal(["job-card", "invoice"], await IdsAsync(new SearchRequest { Filters = new SearchFilters { HasDeadline = true }, Sort = SearchSort.Oldest }));
        Assert.Equal(["invoice"], await IdsAsync(new SearchRequest { Filters = new SearchFilters { Types = ["invoice"] } }));
        Assert.Equal(["job-card", "ocr-inspection"], await IdsAsync(new SearchRequest
        {
            Filters = new SearchFilters { From = DateOnly.FromDateTime(SearchCorpus.Day.AddDays(3).UtcDateTime), To = DateOnly.FromDateTime(SearchCorpus.Day.AddDays(4).UtcDateTime) },
            Sort = SearchSort.Oldest,
        }));
        Assert.Equal(["tender", "hr-policy"], await IdsAsync(new SearchRequest { Filters = new SearchFilters { Sources = ["sharepoint", "upload"], Statuses = ["processed"], Departments = ["procurement", "hr"] }, Sort = SearchSort.Newest }));
    }

    [Fact]
    public async Task A_reader_of_one_department_finds_nothing_of_another_not_even_in_a_count()
    {
        var scope = AccessScope.ForDepartments(["maintenance"]);
        var all = await SearchAsync(new SearchRequest { Facets = SearchFacets.All }, scope);

        Assert.Equal(["job-card"], all.Hits.Select(h => h.DocumentId));
        Assert.Equal(1, all.Total);
        foreach (var facet in SearchFacets.All)
        {
            Assert.Equal(1, Assert.Single(all.Facets[facet]).Count);
        }
        Assert.Equal(new Dictionary<string, long> { ["maintenance"] = 1 }, Actual(all, SearchFacets.Department));
        var other = await SearchAsync(new SearchRequest { Query = SearchQuery.Parse("invoice"), Facets = SearchFacets.All }, scope);
        Assert.Equal(0, other.Total);
        Assert.Empty(other.Hits);
        Assert.All(other.Facets.Values, counts => Assert.Empty(counts));
        // Asking for another department's filter cannot widen the scope.
        Assert.Equal(0, (await SearchAsync(new SearchRequest { Filters = new SearchFilters { Departments = ["finance"] } }, scope)).Total);
        Assert.Equal(0, (await SearchAsync(new SearchRequest(), AccessScope.None)).Total);
    }

    [Fact]
    public async Task A_confidential_type_is_seen_only_by_its_own_department()
    {
        var query = new SearchRequest { Query = SearchQuery.Parse("leave policy"), Facets = [SearchFacets.Type] };

        var operations = await SearchAsync(query, AccessScope.ForDepartments(["operations"]));
        Assert.Equal(0, operations.Total);
        Assert.Empty(operations.Facets[SearchFacets.Type]);
        Assert.Equal(["hr-policy"], (await SearchAsync(query, AccessScope.ForDepartments(["hr"]))).Hits.Select(h => h.DocumentId));
        Assert.Equal(["hr-policy"], (await SearchAsync(query, AccessScope.All)).Hits.Select(h => h.DocumentId));
    }

    [Fact]
    public async Task Pages_cover_every_hit_once_in_date_order()
    {
        var seen = new List<string>();
        for (var page = 1; page <= 3; page++)
        {
            var results = await SearchAsync(new SearchRequest { Sort = SearchSort.Newest, Page = page, PageSize = 3 });
            Assert.Equal(SearchCorpus.All.Count, results.Total);
            seen.AddRange(results.Hits.Select(h => h.DocumentId));
        }
        Assert.Equal(SearchCorpus.All.OrderByDescending(d => d.CreatedAt).Select(d => d.DocumentId), seen);
        await Assert.ThrowsAsync<SearchQueryException>(() => SearchAsync(new SearchRequest { Page = 10_000, PageSize = 100 }));
    }

    [Fact]
    public async Task A_snippet_marks_the_match_and_escapes_the_text()
    {
        var job = Assert.Single((await SearchAsync(new SearchRequest { Query = SearchQuery.Parse("maintenance") })).Hits);
        Assert.Contains("<mark>maintenance</mark>", job.Snippet, StringComparison.OrdinalIgnoreCase);

        var invoice = Assert.Single((await SearchAsync(new SearchRequest { Query = SearchQuery.Parse("payable") })).Hits);
        Assert.Contains("<mark>payable</mark>", invoice.Snippet, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("<script>", invoice.Snippet, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Relevance_puts_the_document_that_says_it_most_first()
    {
        await Index.UpsertAsync(SearchCorpus.Tender with
        {
            DocumentId = "tender-2", Text = "Tender, tender and tender: the tender for the tender committee.", CreatedAt = SearchCorpus.Day,
        }, CancellationToken.None);

        Assert.Equal(["tender-2", "tender"], await IdsAsync("tender"));
    }

    [Fact]
    public async Task Ranking_every_hit_puts_the_oldest_document_that_says_it_most_first_and_pages_cover_each_hit_once()
    {
        var index = await CreateIndexRankingEveryHitAsync();
        try
        {
            // Oldest to newest: the oldest says it most, then the third; the two that say it once are tied, newest first.
            string[] texts = ["ballast ballast ballast ballast ballast", "ballast", "ballast ballast ballast", "ballast"];
            for (var i = 0; i < texts.Length; i++)
            {
                await index.UpsertAsync(SearchCorpus.Tender with
                {
                    DocumentId = $"b{i}", Text = texts[i], CreatedAt = SearchCorpus.Day.AddDays(i), UpdatedAt = SearchCorpus.Day.AddDays(i),
                }, CancellationToken.None);
            }
            var pages = new List<string>();
            for (var page = 1; page <= 2; page++)
            {
                var results = await index.SearchAsync(
                    new SearchRequest { Query = SearchQuery.Parse("ballast"), Page = page, PageSize = 3 }, AccessScope.All, CancellationToken.None);
                Assert.Equal(4, results.Total);
                pages.AddRange(results.Hits.Select(h => h.DocumentId));
            }
            Assert.Equal(["b0", "b2", "b3", "b1"], pages);
        }
        finally
        {
            (index as IDisposable)?.Dispose();
            if (index is IAsyncDisposable asyncDisposable) await asyncDisposable.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_document_removed_at_its_source_is_still_found_and_says_so()
    {
        await Index.UpsertAsync(SearchCorpus.Tender with { SourceStatus = "removed-at-all-sources", UpdatedAt = SearchCorpus.Day.AddDays(20) }, CancellationToken.None);

        var hit = Assert.Single((await SearchAsync(new SearchRequest { Query = SearchQuery.Parse("signalling") })).Hits);
        Assert.Equal("removed-at-all-sources", hit.SourceStatus);
        Assert.Equal("present", Assert.Single((await SearchAsync(new SearchRequest { Query = SearchQuery.Parse("escalator") })).Hits).SourceStatus);
    }

    [Fact]
    public async Task A_deleted_document_is_no_longer_found_or_counted()
    {
        await Index.DeleteAsync(SearchCorpus.JobCard.DocumentId, CancellationToken.None);
        await Index.DeleteAsync("never-indexed", CancellationToken.None);

        Assert.Empty(await IdsAsync("maintenance"));
        Assert.Equal(SearchCorpus.All.Count - 1, await Index.CountAsync(CancellationToken.None));
    }

    [Fact]
    public async Task A_redelivered_or_late_older_version_does_not_overwrite_a_newer_one()
    {
        var reprocessed = SearchCorpus.Tender with { Text = "Corrigendum to the tender for signalling cables.", UpdatedAt = SearchCorpus.Day.AddDays(30) };
        await Index.UpsertAsync(reprocessed, CancellationToken.None);
        await Index.UpsertAsync(reprocessed, CancellationToken.None);
        await Index.UpsertAsync(SearchCorpus.Tender, CancellationToken.None);

        Assert.Equal(["tender"], await IdsAsync("corrigendum"));
        Assert.Empty(await IdsAsync("supply"));
        Assert.Equal(SearchCorpus.All.Count, await Index.CountAsync(CancellationToken.None));
    }

    [Fact]
    public async Task A_rebuild_from_the_catalog_answers_as_the_incremental_index_did()
    {
        string[] queries = ["circular", "സർക്കുലർ", "\"rolling stock\"", "escal*", "inspection~", "", "tender", "circular -monsoon", "invoice OR tender", "-സർക്കുലർ"];
        var before = await SnapshotAsync(queries);

        await Index.UpsertAsync(SearchCorpus.Tender with { DocumentId = "stale", UpdatedAt = SearchCorpus.Day }, CancellationToken.None);
        var rebuilt = await Index.ReplaceAllAsync(Catalog(SearchCorpus.All), CancellationToken.None);

        Assert.Equal(SearchCorpus.All.Count, rebuilt);
        Assert.Equal(before, await SnapshotAsync(queries));
        Assert.Equal(SearchCorpus.All.Count, await Index.CountAsync(CancellationToken.None));
    }

    private async Task<List<string>> SnapshotAsync(IEnumerable<string> queries)
    {
        var lines = new List<string>();
        foreach (var query in queries)
        {
            var results = await SearchAsync(new SearchRequest { Query = SearchQuery.Parse(query), Facets = SearchFacets.All });
            lines.Add($"{query}: {results.Total} [{string.Join(',', results.Hits.Select(h => h.DocumentId))}] " +
                      string.Join(';', results.Facets.OrderBy(f => f.Key, StringComparer.Ordinal)
                          .Select(f => f.Key + "=" + string.Join(',', f.Value.Select(v => $"{v.Value}:{v.Count}")))));
        }
        return lines;
    }

    private static async IAsyncEnumerable<SearchDocument> Catalog(IEnumerable<SearchDocument> documents)
    {
        foreach (var document in documents)
        {
            await Task.Yield();
            yield return document;
        }
    }

    protected Task<SearchResults> SearchAsync(SearchRequest request, AccessScope? scope = null) =>
        Index.SearchAsync(request, scope ?? AccessScope.All, CancellationToken.None);

    private async Task<List<string>> IdsAsync(string query) =>
        await IdsAsync(new SearchRequest { Query = SearchQuery.Parse(query) });

    private async Task<List<string>> IdsAsync(SearchRequest request) =>
        (await SearchAsync(request)).Hits.Select(h => h.DocumentId).ToList();

    private static Dictionary<string, long> Expected(IEnumerable<SearchDocument> documents, Func<SearchDocument, IEnumerable<string>> values) =>
        documents.SelectMany(d => values(d).Distinct()).GroupBy(v => v).ToDictionary(g => g.Key, g => (long)g.Count());

    private static Dictionary<string, long> Actual(SearchResults results, string facet) =>
        results.Facets[facet].ToDictionary(f => f.Value, f => f.Count);
}
