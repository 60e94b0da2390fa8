using System.Text.Json;
using System.Text.RegularExpressions;
using Kmrl.Search.Lucene;
using Npgsql;
using NpgsqlTypes;

namespace Kmrl.Search.Postgres;

/// <summary>
/// PostgreSQL full-text search, for deployments with several document-api replicas sharing one index. English is
/// matched with the <c>english</c> configuration (stems), everything else with <c>simple</c>; Indic words across
/// inflection, and fuzzy words, as the embedded engine does: the query word is expanded into the indexed words like it
/// (pg_trgm's word similarity on a vocabulary table with a GIN trigram index; fuzzy by levenshtein), and those are
/// looked up in the <c>simple</c> tsvector. The words are cut by the embedded engine's analyser, so both see the same.
/// </summary>
public sealed partial class PostgresSearchIndex : ISearchIndex, IAsyncDisposable
{
    private const int MaxWindow = 10_000;
    private const int HeadlineInputLength = 20_000;
    private const double CandidateThreshold = 0.3;
    private const string TextOperatorCost = "0.025";
    private const int MaxIndexedLength = 400_000;
    private const int MaxExpansions = 64;
    private const int MaxWordLength = 200;

    private readonly NpgsqlDataSource _dataSource;
    private readonly SearchAccessOptions _access;
    private readonly SearchAnalyzer _analyzer = new();
    private readonly string _table;
    private readonly int _rankWindow;
    private readonly SemaphoreSlim _schemaLock = new(1, 1);
    private volatile bool _schemaReady;

    public PostgresSearchIndex(PostgresSearchOptions options, SearchAccessOptions access)
    {
        if (!TableName().IsMatch(options.Table))
        {
            throw new ArgumentException($"Search:Postgres:Table '{options.Table}' must be a plain lower-case identifier.", nameof(options));
        }
        if (options.RankWindow < 0)
        {
            throw new ArgumentException("Search:Postgres:RankWindow must be 0 (rank every hit) or more.", nameof(options));
        }
        _table = options.Table;
        // 0: every hit is ranked (as Lucene does); more hits than a page can reach (MaxWindow) is the same thing.
        _rankWindow = options.RankWindow == 0 ? int.MaxValue : options.RankWindow;
        _access = access;
        _dataSource = NpgsqlDataSource.Create(options.ConnectionString);
    }

    public async Task UpsertAsync(SearchDocument document, CancellationToken cancellationToken)
    {
        await EnsureSchemaAsync(cancellationToken);
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        // One batch, one implicit transaction: the document and its words together.
        await using var batch = new NpgsqlBatch(connection);
        batch.BatchCommands.Add(UpsertBatchCommand(document));
        batch.BatchCommands.Add(WordsBatchCommand(document));
        await batch.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task DeleteAsync(string documentId, CancellationToken cancellationToken)
    {
        await EnsureSchemaAsync(cancellationToken);
        await using var command = _dataSource.CreateCommand($"DELETE FROM {_table} WHERE id = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = documentId });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<long> ReplaceAllAsync(IAsyncEnumerable<SearchDocument> documents, CancellationToken cancellationToken)
    {
        await EnsureSchemaAsync(cancellationToken);
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        // One transaction: readers on other replicas see the old index until the commit, never half a rebuild.
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var clear = new NpgsqlCommand($"DELETE FROM {_table}; DELETE FROM {_table}_words", connection, transaction))
        {
            await clear.ExecuteNonQueryAsync(cancellationToken);
        }
        long count = 0;
        var batch = new NpgsqlBatch(connection, transaction);
        await foreach (var document in documents.WithCancellation(cancellationToken))
        {
            batch.BatchCommands.Add(UpsertBatchCommand(document));
            batch.BatchCommands.Add(WordsBatchCommand(document));
            count++;
            if (batch.BatchCommands.Count >= 400)
            {
                await batch.ExecuteNonQueryAsync(cancellationToken);
                await batch.DisposeAsync();
                batch = new NpgsqlBatch(connection, transaction);
            }
        }
        if (batch.BatchCommands.Count > 0) await batch.ExecuteNonQueryAsync(cancellationToken);
        await batch.DisposeAsync();
        await transaction.CommitAsync(cancellationToken);
        // Fresh statistics for the planner: how common each lexeme is decides between the GIN index and the date order.
        await using (var analyze = new NpgsqlCommand($"ANALYZE {_table}; ANALYZE {_table}_words", connection))
        {
            await analyze.ExecuteNonQueryAsync(cancellationToken);
        }
        return count;
    }

    public async Task<long> CountAsync(CancellationToken cancellationToken)
    {
        await EnsureSchemaAsync(cancellationToken);
        await using var command = _dataSource.CreateCommand($"SELECT count(*) FROM {_table}");
        return (long)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    public async Task<SearchResults> SearchAsync(SearchRequest request, AccessScope scope, CancellationToken cancellationToken)
    {
        var window = request.Page * request.PageSize;
        if (request.Page < 1 || request.PageSize is < 1 or > SearchRequest.MaxPageSize || window > MaxWindow)
        {
            throw new SearchQueryException($"Pages go from 1, of 1 to {SearchRequest.MaxPageSize} hits, and up to hit {MaxWindow}.");
        }
        await EnsureSchemaAsync(cancellationToken);
        var sql = new SqlBuilder();
        var where = new List<string>();
        var rank = new List<string>();
        var headline = new List<string>();
        foreach (var group in request.Query.Groups)
        {
            // a OR b: one condition any alternative satisfies; each ranks and highlights what it matched.
            var alternatives = group.Alternatives.Select(clause => Clause(clause, sql)).OfType<ClauseSql>().ToList();
            if (alternatives.Count == 0) continue;
            where.Add(alternatives.Count == 1 ? alternatives[0].Match : "(" + string.Join(" OR ", alternatives.Select(a => a.Match)) + ")");
            rank.AddRange(alternatives.Select(a => a.Rank));
            headline.AddRange(alternatives.SelectMany(a => a.Headline));
        }
        foreach (var clause in request.Query.Excluded)
        {
            // Every vector is NOT NULL, so NOT is the exact complement: a document without the word.
            if (Clause(clause, sql) is { } excluded) where.Add($"NOT {excluded.Match}");
        }
        AddFilters(request.Filters, scope, sql, where);
        var whereSql = where.Count == 0 ? "TRUE" : string.Join(" AND ", where);
        var rankSql = rank.Count == 0 ? "0" : string.Join(" + ", rank);
        var sort = request.Sort == SearchSort.Relevance && !request.Query.HasRequired ? SearchSort.Newest : request.Sort;
        var headlineQuery = headline.Count == 0 ? "NULL::tsquery" : string.Join(" || ", headline);
        var facetNames = request.Facets.Distinct(StringComparer.Ordinal).ToList();
        foreach (var facet in facetNames)
        {
            if (!SearchFacets.All.Contains(facet, StringComparer.Ordinal)) throw new SearchQueryException($"Unknown facet '{facet}'.");
        }

        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var settings = new NpgsqlCommand(SessionSettings(rank.Count > 0), connection, transaction))
        {
            await settings.ExecuteNonQueryAsync(cancellationToken);
        }

        // One grouped pass over the hits: by the facet key, a few thousand groups at most, summed here per facet.
        long total = 0;
        var facets = facetNames.ToDictionary(f => f, _ => new Dictionary<string, long>(StringComparer.Ordinal), StringComparer.Ordinal);
        await using (var count = sql.Command(
            facetNames.Count == 0
                ? $"SELECT count(*), NULL FROM {_table} WHERE {whereSql}"
                : $"SELECT count(*), facet_key FROM {_table} WHERE {whereSql} GROUP BY facet_key",
            connection, transaction))
        await using (var reader = await count.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                var n = reader.GetInt64(0);
                total += n;
                if (!reader.IsDBNull(1)) AddFacetCounts(reader.GetString(1), n, facets);
            }
        }

        var hits = new List<SearchHit>();
        var offset = (request.Page - 1) * request.PageSize;
        if (sort == SearchSort.Relevance && rank.Count > 0)
        {
            // Ranked: the newest RankWindow hits by score, then any further hits newest first (see RankWindow).
            var ranked = Math.Clamp(_rankWindow - offset, 0, request.PageSize);
            if (ranked > 0)
            {
                await using (var noIndexScan = new NpgsqlCommand(NoPlainIndexScan, connection, transaction))
                {
                    await noIndexScan.ExecuteNonQueryAsync(cancellationToken);
                }
                await ReadPageAsync(sql.Command(
                    $"""
                    WITH candidates AS (
                        SELECT id, created_at, tsv_en, tsv_simple FROM {_table} WHERE {whereSql} ORDER BY created_at DESC, id {(_rankWindow == int.MaxValue ? string.Empty : $"LIMIT {_rankWindow}")}),
                    ranked AS (
                        SELECT id, created_at, ({rankSql})::float8 AS score FROM candidates
                        ORDER BY score DESC, created_at DESC, id LIMIT {ranked} OFFSET {offset})
                    {PageSelect(headlineQuery, "ranked.score", $"{_table} t JOIN ranked USING (id)")}
                    ORDER BY ranked.score DESC, ranked.created_at DESC, t.id
                    """, connection, transaction), hits, cancellationToken);
            }
            if (ranked < request.PageSize && total > _rankWindow)
            {
                await ReadPageAsync(sql.Command(
                    $"""
                    WITH tail AS (
                        SELECT id FROM {_table} WHERE {whereSql} ORDER BY created_at DESC, id
                        LIMIT {request.PageSize - ranked} OFFSET {Math.Max(offset, _rankWindow)})
                    {PageSelect(headlineQuery, $"({rankSql})::float8", $"{_table} t JOIN tail USING (id)")}
                    ORDER BY t.created_at DESC, t.id
                    """, connection, transaction), hits, cancellationToken);
            }
        }
        else
        {
            var direction = sort == SearchSort.Oldest ? "ASC" : "DESC";
            // The score and snippet for the page's rows only, after the sort and limit.
            await ReadPageAsync(sql.Command(
                $"""
                WITH page AS (SELECT id FROM {_table} WHERE {whereSql} ORDER BY created_at {direction}, id LIMIT {request.PageSize} OFFSET {offset})
                {PageSelect(headlineQuery, $"({rankSql})::float8", $"{_table} t JOIN page USING (id)")}
                ORDER BY t.created_at {direction}, t.id
                """, connection, transaction), hits, cancellationToken);
        }
        await transaction.CommitAsync(cancellationToken);
        return new SearchResults(total, request.Page, request.PageSize, hits,
            facets.ToDictionary(
                pair => pair.Key,
                pair => (IReadOnlyList<FacetCount>)pair.Value.Select(v => new FacetCount(v.Key, v.Value))
                    .OrderByDescending(v => v.Count).ThenBy(v => v.Value, StringComparer.Ordinal).ToList(),
                StringComparer.Ordinal));
    }

    /// <summary>
    /// Per transaction: the trigram index's operator (&lt;%) finds candidates at the lower, fuzzy threshold (each clause
    /// then checks its own); and with words to match, no sequential scan. The planner prices <c>@@</c> as one operator
    /// call, but off the index it reads and decompresses each row's tsvector out of TOAST: 0.8 s over 100,000 rows
    /// where the GIN index answers in milliseconds (P7, measured with EXPLAIN ANALYZE). For the same reason operators
    /// are priced ten times the default (<see cref="TextOperatorCost"/>): at the default, two common words in one
    /// department were planned as the scope alone in the (tsv, readers) index and both words as a Filter, which
    /// detoasted the 13,000 vectors of the department (93,000 buffers, 1.0 s); priced so, the words and the scope are
    /// one index condition (the 7,000 hits, 3,800 buffers, 55-75 ms, on the P7 corpus under load). And no plain index
    /// scan for the ranked candidates (<see cref="NoPlainIndexScan"/>): the newest RankWindow hits were read down the
    /// created_at index checking each row's words as a Filter (14,000 vectors detoasted, 97,000 buffers, 0.67 s); as a
    /// bitmap scan of the word index, then a top-N sort, the same 1,000 candidates cost 3,800 buffers (0.19 s under
    /// load 43, ranking included).
    /// </summary>
    private static string SessionSettings(bool text) =>
        "SET LOCAL pg_trgm.word_similarity_threshold = " + CandidateThreshold.ToString(System.Globalization.CultureInfo.InvariantCulture) +
        (text ? "; SET LOCAL enable_seqscan = off; SET LOCAL cpu_operator_cost = " + TextOperatorCost : string.Empty);

    /// <summary>
    /// Before the ranked candidates only: a page newest first still walks the created_at index (it stops after a page of
    /// hits), but the RankWindow candidates walked it for a thousand, checking the words of every row on the way.
    /// </summary>
    private const string NoPlainIndexScan = "SET LOCAL enable_indexscan = off";

    /// <summary>The columns of a page of hits, the snippet made for those rows only.</summary>
    private static string PageSelect(string headlineQuery, string score, string from) =>
        $"""
        SELECT t.id, t.file_name, t.document_type, t.departments, t.language, t.status, t.created_at, {score}, t.source_status,
               CASE WHEN ({headlineQuery}) IS NULL THEN NULL ELSE ts_headline('english',
                   replace(replace(replace(left(CASE WHEN t.body = '' THEN t.summary ELSE t.body END, {HeadlineInputLength}), '&', '&amp;'), '<', '&lt;'), '>', '&gt;'),
                   {headlineQuery}, 'StartSel=<mark>, StopSel=</mark>, MaxFragments=2, MaxWords=30, MinWords=10, FragmentDelimiter=" … "') END,
               left(CASE WHEN t.body = '' THEN t.summary ELSE t.body END, 240)
        FROM {from}
        """;

    private static async Task ReadPageAsync(NpgsqlCommand command, List<SearchHit> hits, CancellationToken cancellationToken)
    {
        await using (command)
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                var highlighted = reader.IsDBNull(9) ? null : reader.GetString(9);
                var snippet = highlighted is not null && highlighted.Contains("<mark>", StringComparison.Ordinal)
                    ? highlighted
                    : System.Net.WebUtility.HtmlEncode(reader.GetString(10));
                hits.Add(new SearchHit(
                    reader.GetString(0), reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetString(2),
                    reader.GetFieldValue<string[]>(3), reader.IsDBNull(4) ? null : reader.GetString(4), reader.GetString(5), reader.GetString(8),
                    new DateTimeOffset(reader.GetDateTime(6), TimeSpan.Zero), reader.GetDouble(7), snippet));
            }
        }
    }

    /// <summary>Adds a group of <paramref name="n"/> hits to the requested facets, from its key (see <see cref="FacetKeySql"/>).</summary>
    private static void AddFacetCounts(string key, long n, Dictionary<string, Dictionary<string, long>> facets)
    {
        using var json = JsonDocument.Parse(key);
        var values = json.RootElement;
        foreach (var (facet, counts) in facets)
        {
            switch (facet)
            {
                case SearchFacets.Type: Add(values[0]); break;
                case SearchFacets.Language: Add(values[1]); break;
                case SearchFacets.Status: Add(values[2]); break;
                case SearchFacets.HasDeadline: Add(values[3]); break;
                case SearchFacets.Department: foreach (var v in values[4].EnumerateArray()) Add(v); break;
                case SearchFacets.Source: foreach (var v in values[5].EnumerateArray()) Add(v); break;
            }

            void Add(JsonElement value)
            {
                var text = value.ValueKind switch
                {
                    JsonValueKind.Null => null,
                    JsonValueKind.True => "true",
                    JsonValueKind.False => "false",
                    _ => value.GetString(),
                };
                if (text is not null) counts[text] = counts.GetValueOrDefault(text) + n;
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _dataSource.DisposeAsync();
        _analyzer.Dispose();
        _schemaLock.Dispose();
    }

    /// <summary>A clause as SQL: the condition (in parentheses), its rank and the tsqueries its matches are highlighted by.</summary>
    private sealed record ClauseSql(string Match, string Rank, IReadOnlyList<string> Headline);

    private ClauseSql? Clause(SearchClause clause, SqlBuilder sql)
    {
        var words = _analyzer.Tokens(SearchAnalyzer.Body, clause.Text);
        if (words.Count == 0) return null;
        switch (clause.Kind)
        {
            case ClauseKind.Prefix:
            {
                var lexemes = words.Select((w, i) => Quote(w) + (i == words.Count - 1 ? ":*" : string.Empty));
                var q = $"to_tsquery('simple', {sql.Add(string.Join(" & ", lexemes))})";
                return new ClauseSql($"(tsv_simple @@ {q})", $"ts_rank(tsv_simple, {q})", [q]);
            }
            case ClauseKind.Fuzzy:
            {
                var queries = words.Select(word =>
                {
                    // The trigram index finds candidate words; the edit distance (as Lucene's FuzzyQuery counts it) decides.
                    var p = sql.Add(word);
                    var edits = word.Length >= 8 ? 2 : 1;
                    return Expansion(p, $"left(word, 1) = left({p}, 1) AND levenshtein_less_equal(word, {p}, {edits}) <= {edits}");
                }).ToList();
                return new ClauseSql(
                    "(" + string.Join(" AND ", queries.Select(q => $"tsv_simple @@ {q}")) + ")",
                    "(" + string.Join(" + ", queries.Select(q => $"ts_rank(tsv_simple, {q})")) + ")",
                    queries);
            }
            case ClauseKind.Word when words.Count == 1 && IndicText.IsIndic(words[0]) && words[0].Length >= IndicText.MinSimilarityLength:
            {
                // The indexed words sharing the first two letters and enough of the padded trigrams, as in Lucene.
                var p = sql.Add(words[0]);
                var threshold = IndicText.SimilarityThreshold.ToString(System.Globalization.CultureInfo.InvariantCulture);
                var q = Expansion(p, $"left(word, 2) = left({p}, 2) AND word_similarity({p}, word) >= {threshold}");
                return new ClauseSql($"(tsv_simple @@ {q})", $"ts_rank(tsv_simple, {q})", [q]);
            }
            default:
            {
                // A word, or a phrase (or a word the analyser splits, WO-2025-0042): the analysed words in order.
                var indic = words.Any(IndicText.IsIndic);
                var config = indic ? "simple" : "english";
                var vector = indic ? "tsv_simple" : "tsv_en";
                var text = sql.Add(string.Join(' ', words));
                var q = $"phraseto_tsquery('{config}', {text})";
                // Several words: their adjacent pairs, looked up in the pairs index, narrow the rows whose positions are checked.
                var condition = words.Count > 1
                    ? $"({vector} @@ {q} AND phrase_pairs @> {Pairs($"to_tsvector('{config}', {text})", indic ? SimplePairs : EnglishPairs)})"
                    : $"({vector} @@ {q})";
                return new ClauseSql(condition, $"ts_rank({vector}, {q})", [q]);
            }
        }
    }

    /// <summary>
    /// A tsquery ORing the vocabulary's words that the trigram index offers for the word and the condition keeps (the
    /// word itself when none): an uncorrelated subquery, so PostgreSQL runs it once per statement.
    /// </summary>
    private string Expansion(string word, string condition) =>
        $"(SELECT to_tsquery('simple', coalesce(string_agg(quote_literal(c.word), ' | '), quote_literal({word}))) " +
        $"FROM (SELECT word FROM {_table}_words WHERE {word} <% word AND {condition} " +
        $"ORDER BY word_similarity({word}, word) DESC LIMIT {MaxExpansions}) c)";

    private static void AddFilters(SearchFilters filters, AccessScope scope, SqlBuilder sql, List<string> where)
    {
        if (!scope.IsAll) where.Add($"readers && {sql.Add(scope.Departments.ToArray())}");
        if (filters.Departments.Count > 0) where.Add($"departments && {sql.Add(filters.Departments.ToArray())}");
        if (filters.Sources.Count > 0) where.Add($"sources && {sql.Add(filters.Sources.ToArray())}");
        if (filters.Types.Count > 0) where.Add($"document_type = ANY({sql.Add(filters.Types.ToArray())})");
        if (filters.Languages.Count > 0) where.Add($"language = ANY({sql.Add(filters.Languages.ToArray())})");
        if (filters.Statuses.Count > 0) where.Add($"status = ANY({sql.Add(filters.Statuses.ToArray())})");
        if (filters.HasDeadline is { } hasDeadline) where.Add($"has_deadline = {sql.Add(hasDeadline)}");
        if (filters.From is { } from) where.Add($"created_at >= {sql.Add(from.ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc))}");
        if (filters.To is { } to) where.Add($"created_at < {sql.Add(to.AddDays(1).ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc))}");
    }

    /// <summary>A tsquery lexeme in quotes, so nothing in a word is read as tsquery syntax.</summary>
    private const string EnglishPairs = "e";
    private const string SimplePairs = "s";

    /// <summary>
    /// The pairs of adjacent lexemes of a tsvector (a shingle each, marked with the configuration): a document that
    /// matches a phrase holds every pair of the phrase, so the GIN index on them finds the few rows whose positions
    /// need checking, where the words alone find most of the index (P7: 55,000 rows checked for 2,800 phrase hits).
    /// </summary>
    private static string Pairs(string vector, string marker) =>
        $"ARRAY(SELECT DISTINCT '{marker}' || a.lexeme || ' ' || b.lexeme " +
        $"FROM (SELECT lexeme, unnest(positions) AS p FROM unnest({vector})) a " +
        $"JOIN (SELECT lexeme, unnest(positions) AS p FROM unnest({vector})) b ON b.p = a.p + 1)";

    /// <summary>
    /// The facet values of a row as one JSON array (type, language, status, has-deadline, departments, sources): the
    /// hits are grouped by it in one pass, where grouping by the arrays themselves or counting each facet apart took
    /// several passes over every hit.
    /// </summary>
    private static string FacetKeySql(string type, string language, string status, string hasDeadline, string departments, string sources) =>
        $"json_build_array({type}::text, {language}::text, {status}::text, {hasDeadline}::boolean, {departments}::text[], {sources}::text[])::text";

    private static string Quote(string word) => "'" + word.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("'", "''", StringComparison.Ordinal) + "'";

    private async Task EnsureSchemaAsync(CancellationToken cancellationToken)
    {
        if (_schemaReady) return;
        await _schemaLock.WaitAsync(cancellationToken);
        try
        {
            if (_schemaReady) return;
            // The row holds what filters and facets read (a few hundred bytes); the texts and tsvectors go to TOAST
            // (toast_tuple_target), read only to rank, check a phrase and make a snippet. On the wide rows a search over
            // 70,000 hits read 150 MB of heap (P7).
            await using var command = _dataSource.CreateCommand(
                $"""
                CREATE EXTENSION IF NOT EXISTS pg_trgm;
                CREATE EXTENSION IF NOT EXISTS fuzzystrmatch;
                CREATE TABLE IF NOT EXISTS {_table} (
                    id text PRIMARY KEY,
                    updated_at timestamptz NOT NULL,
                    created_at timestamptz NOT NULL,
                    file_name text NOT NULL,
                    summary text NOT NULL,
                    body text NOT NULL,
                    document_type text,
                    language text,
                    status text NOT NULL,
                    source_status text NOT NULL,
                    has_deadline boolean NOT NULL,
                    departments text[] NOT NULL,
                    readers text[] NOT NULL,
                    sources text[] NOT NULL,
                    tsv_en tsvector NOT NULL,
                    tsv_simple tsvector NOT NULL,
                    facet_key text NOT NULL,
                    phrase_pairs text[] NOT NULL) WITH (toast_tuple_target = 128);
                DO $$
                BEGIN
                    IF NOT EXISTS (SELECT FROM pg_attribute WHERE attrelid = '{_table}'::regclass AND attname = 'facet_key' AND NOT attisdropped) THEN
                        ALTER TABLE {_table} ADD COLUMN facet_key text, ADD COLUMN phrase_pairs text[];
                        UPDATE {_table} SET
                            facet_key = {FacetKeySql("document_type", "language", "status", "has_deadline", "departments", "sources")},
                            phrase_pairs = {Pairs("tsv_en", EnglishPairs)} || {Pairs("tsv_simple", SimplePairs)};
                        ALTER TABLE {_table} ALTER COLUMN facet_key SET NOT NULL, ALTER COLUMN phrase_pairs SET NOT NULL;
                    END IF;
                    IF (SELECT attstorage FROM pg_attribute WHERE attrelid = '{_table}'::regclass AND attname = 'departments') <> 'm' THEN
                        -- Kept in the row (compressed if need be), so counting facets never reads TOAST.
                        ALTER TABLE {_table} SET (toast_tuple_target = 128),
                            ALTER COLUMN id SET STORAGE MAIN, ALTER COLUMN document_type SET STORAGE MAIN,
                            ALTER COLUMN language SET STORAGE MAIN, ALTER COLUMN status SET STORAGE MAIN,
                            ALTER COLUMN departments SET STORAGE MAIN, ALTER COLUMN readers SET STORAGE MAIN,
                            ALTER COLUMN sources SET STORAGE MAIN, ALTER COLUMN facet_key SET STORAGE MAIN;
                    END IF;
                END $$;
                DROP INDEX IF EXISTS {_table}_tsv_en, {_table}_tsv_simple;
                CREATE INDEX IF NOT EXISTS {_table}_tsv_en_readers ON {_table} USING gin (tsv_en, readers);
                CREATE INDEX IF NOT EXISTS {_table}_tsv_simple_readers ON {_table} USING gin (tsv_simple, readers);
                CREATE INDEX IF NOT EXISTS {_table}_pairs_readers ON {_table} USING gin (phrase_pairs, readers);
                CREATE TABLE IF NOT EXISTS {_table}_words (word text PRIMARY KEY);
                CREATE INDEX IF NOT EXISTS {_table}_words_trgm ON {_table}_words USING gin (word gin_trgm_ops);
                CREATE INDEX IF NOT EXISTS {_table}_readers ON {_table} USING gin (readers);
                CREATE INDEX IF NOT EXISTS {_table}_created ON {_table} (created_at);
                """);
            await command.ExecuteNonQueryAsync(cancellationToken);
            _schemaReady = true;
        }
        finally
        {
            _schemaLock.Release();
        }
    }

    // One to_tsvector per configuration and document: the vectors, and their pairs, come from the same subquery.
    private string UpsertSql() =>
        $"""
        INSERT INTO {_table} AS t (id, updated_at, created_at, file_name, summary, body, document_type, language, status,
                              has_deadline, departments, readers, sources, tsv_en, tsv_simple, source_status, facet_key, phrase_pairs)
        SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, v.en, v.simple, $16,
               {FacetKeySql("$7", "$8", "$9", "$10", "$11", "$13")}, {Pairs("v.en", EnglishPairs)} || {Pairs("v.simple", SimplePairs)}
        FROM (SELECT to_tsvector('english', $14) AS en, to_tsvector('simple', $15) AS simple) v
        ON CONFLICT (id) DO UPDATE SET
            updated_at = EXCLUDED.updated_at, created_at = EXCLUDED.created_at, file_name = EXCLUDED.file_name,
            summary = EXCLUDED.summary, body = EXCLUDED.body, document_type = EXCLUDED.document_type,
            language = EXCLUDED.language, status = EXCLUDED.status, has_deadline = EXCLUDED.has_deadline,
            departments = EXCLUDED.departments, readers = EXCLUDED.readers, sources = EXCLUDED.sources,
            tsv_en = EXCLUDED.tsv_en, tsv_simple = EXCLUDED.tsv_simple, source_status = EXCLUDED.source_status,
            facet_key = EXCLUDED.facet_key, phrase_pairs = EXCLUDED.phrase_pairs
        WHERE t.updated_at <= EXCLUDED.updated_at
        """;

    // The words of every document, for the trigram expansion of Indic and fuzzy words (never removed: a word no
    // document has any more expands into a term that matches nothing).
    private const string WordsSql = "INSERT INTO {0}_words (word) SELECT unnest($1::text[]) ON CONFLICT DO NOTHING";

    private NpgsqlBatchCommand WordsBatchCommand(SearchDocument document)
    {
        var words = document.SearchableParts().SelectMany(part => _analyzer.Tokens(SearchAnalyzer.Body, part))
            .Where(w => w.Length <= MaxWordLength).Distinct(StringComparer.Ordinal).ToArray();
        var command = new NpgsqlBatchCommand(string.Format(System.Globalization.CultureInfo.InvariantCulture, WordsSql, _table));
        command.Parameters.Add(new NpgsqlParameter { Value = words, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        return command;
    }

    private NpgsqlBatchCommand UpsertBatchCommand(SearchDocument document)
    {
        var command = new NpgsqlBatchCommand(UpsertSql());
        foreach (var parameter in UpsertParameters(document)) command.Parameters.Add(parameter);
        return command;
    }

    private IEnumerable<NpgsqlParameter> UpsertParameters(SearchDocument document)
    {
        // The tsvectors are built from the shared analyser's words, not PostgreSQL's parser: both engines then cut
        // "WO-2025-0042", "Documents/Circulars" and Malayalam the same way, and queries are cut the same way too.
        var tokens = document.SearchableParts().SelectMany(part => _analyzer.Tokens(SearchAnalyzer.Body, part)).ToList();
        var analysed = Capped(string.Join(' ', tokens));
        yield return new NpgsqlParameter { Value = document.DocumentId };
        yield return new NpgsqlParameter { Value = document.UpdatedAt.UtcDateTime };
        yield return new NpgsqlParameter { Value = document.CreatedAt.UtcDateTime };
        yield return new NpgsqlParameter { Value = document.FileName };
        yield return new NpgsqlParameter { Value = document.Summary };
        yield return new NpgsqlParameter { Value = document.Text };
        yield return new NpgsqlParameter { Value = (object?)document.DocumentType ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text };
        yield return new NpgsqlParameter { Value = (object?)document.Language ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text };
        yield return new NpgsqlParameter { Value = document.Status };
        yield return new NpgsqlParameter { Value = document.HasDeadline };
        yield return new NpgsqlParameter { Value = document.Departments.Distinct(StringComparer.Ordinal).ToArray() };
        yield return new NpgsqlParameter { Value = _access.ReadersOf(document).ToArray() };
        yield return new NpgsqlParameter { Value = document.Sources.Distinct(StringComparer.Ordinal).ToArray() };
        yield return new NpgsqlParameter { Value = analysed };
        yield return new NpgsqlParameter { Value = analysed };
        yield return new NpgsqlParameter { Value = document.SourceStatus };
    }

    /// <summary>A tsvector holds at most 1 MB; a longer text is indexed up to this length (positions stop at 16383 anyway).</summary>
    private static string Capped(string text) => text.Length <= MaxIndexedLength ? text : text[..MaxIndexedLength];

    [GeneratedRegex("^[a-z_][a-z0-9_]{0,40}$", RegexOptions.NonBacktracking)]
    private static partial Regex TableName();

    /// <summary>Positional parameters ($1, $2, ...) for the query being built: values never go into the SQL text.</summary>
    private sealed class SqlBuilder
    {
        private readonly List<object> _values = [];

        public string Add(object value)
        {
            _values.Add(value);
            return "$" + _values.Count.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        public NpgsqlCommand Command(string text, NpgsqlConnection connection, NpgsqlTransaction transaction)
        {
            var command = new NpgsqlCommand(text, connection, transaction);
            foreach (var value in _values) command.Parameters.Add(new NpgsqlParameter { Value = value });
            return command;
        }
    }
}
