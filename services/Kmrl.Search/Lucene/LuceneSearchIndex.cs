using Lucene.Net.Documents;
using Lucene.Net.Index;
using Lucene.Net.Search;
using Lucene.Net.Search.Highlight;
using Lucene.Net.Store;
using Lucene.Net.Util;
using LuceneDocument = Lucene.Net.Documents.Document;

namespace Kmrl.Search.Lucene;

/// <summary>
/// The embedded engine: a Lucene.NET index in a local directory, no server. One writer per process (Lucene's write
/// lock keeps a second process out); searches run on a near-real-time reader refreshed after each write.
/// </summary>
public sealed class LuceneSearchIndex : ISearchIndex, IDisposable
{
    private const int MaxWindow = 10_000;
    private const int MaxIndicExpansions = 64;
    private const int MaxIndicCandidates = 20_000;
    private const int SnippetLength = 240;

    private readonly SearchAnalyzer _analyzer = new();
    private readonly SearchAccessOptions _access;
    private readonly FSDirectory _directory;
    private readonly IndexWriter _writer;
    private readonly SearcherManager _searchers;
    private readonly SemaphoreSlim _writeLock = new(1, 1);

    public LuceneSearchIndex(LuceneSearchOptions options, SearchAccessOptions access)
    {
        _access = access;
        System.IO.Directory.CreateDirectory(options.IndexPath);
        _directory = FSDirectory.Open(options.IndexPath);
        _writer = new IndexWriter(_directory, new IndexWriterConfig(LuceneVersion.LUCENE_48, _analyzer)
        {
            OpenMode = OpenMode.CREATE_OR_APPEND,
        });
        _searchers = new SearcherManager(_writer, applyAllDeletes: true, searcherFactory: null);
    }

    public async Task UpsertAsync(SearchDocument document, CancellationToken cancellationToken)
    {
        await _writeLock.WaitAsync(cancellationToken);
        try
        {
            if (StoredUpdatedAt(document.DocumentId) is { } stored && stored > document.UpdatedAt.UtcTicks)
            {
                return; // A newer version is indexed: this is a late redelivery.
            }
            _writer.UpdateDocument(new Term(LuceneFields.Id, document.DocumentId), ToLucene(document));
            CommitAndRefresh();
        }
        finally
        {
            _writeLock.Release();
        }
    }

    public async Task DeleteAsync(string documentId, CancellationToken cancellationToken)
    {
        await _writeLock.WaitAsync(cancellationToken);
        try
        {
            _writer.DeleteDocuments(new Term(LuceneFields.Id, documentId));
            CommitAndRefresh();
        }
        finally
        {
            _writeLock.Release();
        }
    }

    public async Task<long> ReplaceAllAsync(IAsyncEnumerable<SearchDocument> documents, CancellationToken cancellationToken)
    {
        await _writeLock.WaitAsync(cancellationToken);
        try
        {
            // Readers keep the old index until the commit: a rebuild is never seen half done.
            _writer.DeleteAll();
            long count = 0;
            await foreach (var document in documents.WithCancellation(cancellationToken))
            {
                _writer.UpdateDocument(new Term(LuceneFields.Id, document.DocumentId), ToLucene(document));
                count++;
            }
            CommitAndRefresh();
            return count;
        }
        catch
        {
            _writer.Rollback();
            throw;
        }
        finally
        {
            _writeLock.Release();
        }
    }

    public Task<long> CountAsync(CancellationToken cancellationToken)
    {
        var searcher = _searchers.Acquire();
        try
        {
            return Task.FromResult((long)searcher.IndexReader.NumDocs);
        }
        finally
        {
            _searchers.Release(searcher);
        }
    }

    public Task<SearchResults> SearchAsync(SearchRequest request, AccessScope scope, CancellationToken cancellationToken)
    {
        var window = request.Page * request.PageSize;
        if (request.Page < 1 || request.PageSize is < 1 or > SearchRequest.MaxPageSize || window > MaxWindow)
        {
            throw new SearchQueryException($"Pages go from 1, of 1 to {SearchRequest.MaxPageSize} hits, and up to hit {MaxWindow}.");
        }
        var searcher = _searchers.Acquire();
        try
        {
            var (textQuery, highlightQuery) = BuildTextQuery(request.Query, searcher.IndexReader);
            var filter = BuildFilter(request.Filters, scope);
            Query query = filter is null ? textQuery : new FilteredQuery(textQuery, new QueryWrapperFilter(filter));

            var sort = request.Sort == SearchSort.Relevance && !request.Query.HasRequired ? SearchSort.Newest : request.Sort;
            // Relevance over every hit; equal scores newest first, as in PostgreSQL.
            var created = new SortField(LuceneFields.CreatedSort, SortFieldType.INT64, reverse: sort != SearchSort.Oldest);
            ITopDocsCollector top = TopFieldCollector.Create(
                sort == SearchSort.Relevance ? new Sort(SortField.FIELD_SCORE, created) : new Sort(created),
                window, fillFields: false, trackDocScores: true, trackMaxScore: false, docsScoredInOrder: false);
            var facets = new FacetCollector(request.Facets);
            searcher.Search(query, MultiCollector.Wrap((ICollector)top, facets));

            var page = top.GetTopDocs((request.Page - 1) * request.PageSize, request.PageSize);
            var highlighter = Highlighter(searcher, highlightQuery);
            var hits = page.ScoreDocs.Select(scoreDoc => ToHit(searcher.Doc(scoreDoc.Doc), scoreDoc.Score, highlighter)).ToList();
            return Task.FromResult(new SearchResults(top.TotalHits, request.Page, request.PageSize, hits, facets.Results()));
        }
        finally
        {
            _searchers.Release(searcher);
        }
    }

    public void Dispose()
    {
        _searchers.Dispose();
        _writer.Dispose();
        _directory.Dispose();
        _analyzer.Dispose();
        _writeLock.Dispose();
    }

    private void CommitAndRefresh()
    {
        // Committed before the event is acknowledged: at-least-once delivery never loses an acknowledged write.
        _writer.Commit();
        _searchers.MaybeRefreshBlocking();
    }

    private long? StoredUpdatedAt(string documentId)
    {
        // Every write refreshes the reader under the write lock, so the reader already holds the last write.
        var searcher = _searchers.Acquire();
        try
        {
            var found = searcher.Search(new TermQuery(new Term(LuceneFields.Id, documentId)), 1);
            if (found.TotalHits == 0) return null;
            return searcher.Doc(found.ScoreDocs[0].Doc).GetField(LuceneFields.Updated)?.GetInt64Value();
        }
        finally
        {
            _searchers.Release(searcher);
        }
    }

    private LuceneDocument ToLucene(SearchDocument document)
    {
        var doc = new LuceneDocument
        {
            new StringField(LuceneFields.Id, document.DocumentId, Field.Store.YES),
            new StoredField(LuceneFields.Updated, document.UpdatedAt.UtcTicks),
            new Int64Field(LuceneFields.Created, document.CreatedAt.UtcTicks, Field.Store.YES),
            new NumericDocValuesField(LuceneFields.CreatedSort, document.CreatedAt.UtcTicks),
            new StoredField(LuceneFields.FileName, document.FileName),
            new StoredField(LuceneFields.Summary, document.Summary),
            new StoredField(LuceneFields.Text, document.Text),
            new StoredField(LuceneFields.Status, document.Status),
            new StoredField(LuceneFields.SourceStatus, document.SourceStatus),
        };
        foreach (var part in document.SearchableParts())
        {
            doc.Add(new TextField(SearchAnalyzer.Body, part, Field.Store.NO));
            doc.Add(new TextField(SearchAnalyzer.BodyEnglish, part, Field.Store.NO));
        }
        foreach (var reader in _access.ReadersOf(document))
        {
            doc.Add(new StringField(LuceneFields.Readers, reader, Field.Store.NO));
        }
        foreach (var department in document.Departments.Distinct(StringComparer.Ordinal))
        {
            doc.Add(new StoredField(LuceneFields.Departments, department));
        }
        if (document.DocumentType is not null) doc.Add(new StoredField(LuceneFields.Type, document.DocumentType));
        if (document.Language is not null) doc.Add(new StoredField(LuceneFields.Language, document.Language));
        foreach (var (facet, value) in FacetValues(document))
        {
            doc.Add(new StringField(LuceneFields.Filter(facet), value, Field.Store.NO));
            doc.Add(new SortedSetDocValuesField(LuceneFields.Facet(facet), new BytesRef(value)));
        }
        return doc;
    }

    internal static IEnumerable<(string Facet, string Value)> FacetValues(SearchDocument document)
    {
        foreach (var department in document.Departments.Distinct(StringComparer.Ordinal)) yield return (SearchFacets.Department, department);
        foreach (var source in document.Sources.Distinct(StringComparer.Ordinal)) yield return (SearchFacets.Source, source);
        if (document.DocumentType is not null) yield return (SearchFacets.Type, document.DocumentType);
        if (document.Language is not null) yield return (SearchFacets.Language, document.Language);
        yield return (SearchFacets.Status, document.Status);
        yield return (SearchFacets.HasDeadline, document.HasDeadline ? "true" : "false");
    }

    private (Query Match, Query Highlight) BuildTextQuery(SearchQuery query, IndexReader reader)
    {
        if (query.IsEmpty)
        {
            return (new MatchAllDocsQuery(), new BooleanQuery());
        }
        var match = new BooleanQuery();
        var highlight = new BooleanQuery();
        foreach (var group in query.Groups)
        {
            // a OR b: one required clause that any alternative satisfies.
            var any = new BooleanQuery();
            foreach (var alternative in group.Alternatives)
            {
                var (clauseMatch, clauseHighlight) = BuildClause(alternative, reader);
                if (clauseMatch is null)
                {
                    continue; // Only punctuation once analysed: it constrains nothing.
                }
                any.Add(clauseMatch, Occur.SHOULD);
                highlight.Add(clauseHighlight ?? clauseMatch, Occur.SHOULD);
            }
            if (any.Clauses.Count == 1)
            {
                match.Add(any.Clauses[0].Query, Occur.MUST);
            }
            else if (any.Clauses.Count > 1)
            {
                match.Add(any, Occur.MUST);
            }
        }
        var excluded = 0;
        foreach (var clause in query.Excluded)
        {
            var (clauseMatch, _) = BuildClause(clause, reader);
            if (clauseMatch is null) continue;
            match.Add(clauseMatch, Occur.MUST_NOT);
            excluded++;
        }
        if (match.Clauses.Count == excluded)
        {
            // Nothing required (only exclusions, or only punctuation): everything but what is left out.
            match.Add(new MatchAllDocsQuery(), Occur.MUST);
        }
        return (match, highlight);
    }

    private (Query? Match, Query? Highlight) BuildClause(SearchClause clause, IndexReader reader)
    {
        var words = _analyzer.Tokens(SearchAnalyzer.Body, clause.Text);
        if (words.Count == 0) return (null, null);
        switch (clause.Kind)
        {
            case ClauseKind.Prefix:
            {
                var all = new BooleanQuery();
                var shown = new BooleanQuery();
                foreach (var word in words.SkipLast(1))
                {
                    all.Add(new TermQuery(new Term(SearchAnalyzer.Body, word)), Occur.MUST);
                    shown.Add(new TermQuery(new Term(SearchAnalyzer.Body, word)), Occur.SHOULD);
                }
                all.Add(new PrefixQuery(new Term(SearchAnalyzer.Body, words[^1])), Occur.MUST);
                // The highlighter needs terms; matching keeps the constant-score rewrite that never hits the clause cap.
                shown.Add(new PrefixQuery(new Term(SearchAnalyzer.Body, words[^1]))
                {
                    MultiTermRewriteMethod = new MultiTermQuery.TopTermsScoringBooleanQueryRewrite(MaxIndicExpansions),
                }, Occur.SHOULD);
                return (all, shown);
            }
            case ClauseKind.Fuzzy:
            {
                var all = new BooleanQuery();
                foreach (var word in words)
                {
                    var edits = word.Length >= 8 ? 2 : 1;
                    all.Add(new FuzzyQuery(new Term(SearchAnalyzer.Body, word), edits, prefixLength: 1), Occur.MUST);
                }
                return (all, null);
            }
            case ClauseKind.Word when words.Count == 1:
                return (Word(words[0], reader), null);
            default:
            {
                // A phrase, or a word the analyser splits (WO-2025-0042): the stemmed words in order.
                var stems = _analyzer.Tokens(SearchAnalyzer.BodyEnglish, clause.Text);
                if (stems.Count == 1) return (Word(words[0], reader), null);
                var phrase = new PhraseQuery();
                foreach (var stem in stems) phrase.Add(new Term(SearchAnalyzer.BodyEnglish, stem));
                return (phrase, null);
            }
        }
    }

    private Query Word(string word, IndexReader reader)
    {
        if (!IndicText.IsIndic(word) || word.Length < IndicText.MinSimilarityLength)
        {
            var stem = _analyzer.Tokens(SearchAnalyzer.BodyEnglish, word);
            return new TermQuery(new Term(SearchAnalyzer.BodyEnglish, stem.Count == 1 ? stem[0] : word));
        }
        // Inflected forms: the indexed words that share the query word's padded trigrams, as pg_trgm's <% would take them.
        var trigrams = IndicText.Trigrams(word);
        var candidates = new List<(string Term, double Similarity)>();
        var terms = MultiFields.GetTerms(reader, SearchAnalyzer.Body);
        if (terms is not null)
        {
            var prefix = new BytesRef(word[..2]);
            var iterator = terms.GetEnumerator();
            if (iterator.SeekCeil(prefix) != TermsEnum.SeekStatus.END)
            {
                var seen = 0;
                do
                {
                    if (!StringHelper.StartsWith(iterator.Term, prefix) || ++seen > MaxIndicCandidates) break;
                    var candidate = iterator.Term.Utf8ToString();
                    var similarity = IndicText.Similarity(trigrams, candidate);
                    if (similarity >= IndicText.SimilarityThreshold) candidates.Add((candidate, similarity));
                }
                while (iterator.MoveNext());
            }
        }
        var query = new BooleanQuery { new BooleanClause(new TermQuery(new Term(SearchAnalyzer.Body, word)) { Boost = 2 }, Occur.SHOULD) };
        foreach (var (term, similarity) in candidates.OrderByDescending(c => c.Similarity).Take(MaxIndicExpansions))
        {
            if (term != word) query.Add(new TermQuery(new Term(SearchAnalyzer.Body, term)) { Boost = (float)similarity }, Occur.SHOULD);
        }
        return query;
    }

    private static BooleanQuery? BuildFilter(SearchFilters filters, AccessScope scope)
    {
        var filter = new BooleanQuery();
        if (!scope.IsAll)
        {
            // An empty scope is an empty SHOULD list: a query that matches nothing.
            filter.Add(AnyOf(LuceneFields.Readers, scope.Departments), Occur.MUST);
        }
        AddAnyOf(filter, SearchFacets.Department, filters.Departments);
        AddAnyOf(filter, SearchFacets.Type, filters.Types);
        AddAnyOf(filter, SearchFacets.Source, filters.Sources);
        AddAnyOf(filter, SearchFacets.Language, filters.Languages);
        AddAnyOf(filter, SearchFacets.Status, filters.Statuses);
        if (filters.HasDeadline is { } hasDeadline)
        {
            filter.Add(new TermQuery(new Term(LuceneFields.Filter(SearchFacets.HasDeadline), hasDeadline ? "true" : "false")), Occur.MUST);
        }
        if (filters.From is not null || filters.To is not null)
        {
            long? from = filters.From is { } f ? new DateTimeOffset(f.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero).UtcTicks : null;
            long? to = filters.To is { } t ? new DateTimeOffset(t.ToDateTime(TimeOnly.MaxValue), TimeSpan.Zero).UtcTicks : null;
            filter.Add(NumericRangeQuery.NewInt64Range(LuceneFields.Created, from, to, true, true), Occur.MUST);
        }
        return filter.Clauses.Count == 0 ? null : filter;
    }

    private static void AddAnyOf(BooleanQuery filter, string facet, IReadOnlyList<string> values)
    {
        if (values.Count > 0) filter.Add(AnyOf(LuceneFields.Filter(facet), values), Occur.MUST);
    }

    private static BooleanQuery AnyOf(string field, IEnumerable<string> values)
    {
        var any = new BooleanQuery();
        foreach (var value in values) any.Add(new TermQuery(new Term(field, value)), Occur.SHOULD);
        return any;
    }

    private Highlighter? Highlighter(IndexSearcher searcher, Query highlightQuery)
    {
        var terms = new HashSet<Term>();
        searcher.Rewrite(highlightQuery).ExtractTerms(terms);
        // The snippet is read with the stemmed analyser, so unstemmed terms (Indic, fuzzy, prefix) are stemmed to match.
        var weighted = terms
            .SelectMany(term => term.Field == SearchAnalyzer.Body ? _analyzer.Tokens(SearchAnalyzer.BodyEnglish, term.Text) : [term.Text])
            .Distinct(StringComparer.Ordinal)
            .Select(text => new WeightedTerm(1f, text))
            .ToArray();
        if (weighted.Length == 0) return null;
        return new Highlighter(new SimpleHTMLFormatter("<mark>", "</mark>"), new SimpleHTMLEncoder(), new QueryTermScorer(weighted))
        {
            TextFragmenter = new SimpleFragmenter(SnippetLength / 2),
            // The snippet is re-analysed per hit: the start of a long text is enough to find the best fragments.
            MaxDocCharsToAnalyze = 20_000,
        };
    }

    private SearchHit ToHit(LuceneDocument doc, float score, Highlighter? highlighter)
    {
        var summary = doc.Get(LuceneFields.Summary) ?? string.Empty;
        var text = doc.Get(LuceneFields.Text) ?? string.Empty;
        var source = text.Length > 0 ? text : summary;
        string? snippet = null;
        if (highlighter is not null && source.Length > 0)
        {
            using var stream = _analyzer.GetTokenStream(SearchAnalyzer.BodyEnglish, source);
            var fragments = highlighter.GetBestFragments(stream, source, 2);
            if (fragments.Length > 0) snippet = string.Join(" … ", fragments.Select(f => f.Trim()));
        }
        snippet ??= SimpleHTMLEncoder.HtmlEncode(source.Length > SnippetLength ? source[..SnippetLength] : source);
        var created = doc.GetField(LuceneFields.Created).GetInt64Value() ?? 0;
        return new SearchHit(
            doc.Get(LuceneFields.Id),
            doc.Get(LuceneFields.FileName),
            doc.Get(LuceneFields.Type),
            doc.GetValues(LuceneFields.Departments),
            doc.Get(LuceneFields.Language),
            doc.Get(LuceneFields.Status),
            doc.Get(LuceneFields.SourceStatus) ?? "present",
            new DateTimeOffset(created, TimeSpan.Zero),
            float.IsNaN(score) ? 0 : score,
            snippet);
    }
}
