using System.Text;
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
    private const int MaxIndexedLength = 400_000;
    private const int MaxExpansions = 64;
    private const int MaxWordLength = 200;

    private readonly NpgsqlDataSource _dataSource;
    private readonly SearchAccessOptions _access;
    private readonly SearchAnalyzer _analyzer = new();
    private readonly string _table;
    private readonly SemaphoreSlim _schemaLock = new(1, 1);
    private volatile bool _schemaReady;

    public PostgresSearchIndex(PostgresSearchOptions options, SearchAccessOptions access)
    {
        if (!TableName().IsMatch(options.Table))
        {
            throw new ArgumentException($"Search:Postgres:Table '{options.Table}' must be a plain lower-case identifier.", nameof(options));
        }
        _table = options.Table;
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
        foreach (var clause in request.Query.Clauses)
        {
            AddClause(clause, sql, where, rank, headline);
        }
        AddFilters(request.Filters, scope, sql, where);
        var whereSql = where.Count == 0 ? "TRUE" : string.Join(" AND ", where);
        var rankSql = rank.Count == 0 ? "0" : string.Join(" + ", rank);
        var sort = request.Sort == SearchSort.Relevance && request.Query.IsEmpty ? SearchSort.Newest : request.Sort;
        var orderSql = sort switch
        {
            SearchSort.Newest => "created_at DESC, id",
            SearchSort.Oldest => "created_at ASC, id",
            _ => "score DESC, created_at DESC, id",
        };
        var headlineQuery = headline.Count == 0 ? "NULL::tsquery" : string.Join(" || ", headline);

        var facetSql = new StringBuilder("SELECT '' AS facet, '' AS value, count(*) AS n FROM hits");
        foreach (var facet in request.Facets.Distinct(StringComparer.Ordinal))
        {
            facetSql.Append(" UNION ALL ").Append(facet switch
            {
                SearchFacets.Department => "SELECT 'department', v, count(*) FROM hits, unnest(departments) v GROUP BY v",
                SearchFacets.Source => "SELECT 'source', v, count(*) FROM hits, unnest(sources) v GROUP BY v",
                SearchFacets.Type => "SELECT 'type', document_type, count(*) FROM hits WHERE document_type IS NOT NULL GROUP BY document_type",
                SearchFacets.Language => "SELECT 'language', language, count(*) FROM hits WHERE language IS NOT NULL GROUP BY language",
                SearchFacets.Status => "SELECT 'status', status, count(*) FROM hits GROUP BY status",
                SearchFacets.HasDeadline => "SELECT 'has-deadline', has_deadline::text, count(*) FROM hits GROUP BY has_deadline",
                _ => throw new SearchQueryException($"Unknown facet '{facet}'."),
            });
        }

        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var threshold = new NpgsqlCommand(
            // The trigram index's operator (<%) finds candidates at the lower, fuzzy threshold; each clause then checks its own.
            $"SET LOCAL pg_trgm.word_similarity_threshold = {CandidateThreshold.ToString(System.Globalization.CultureInfo.InvariantCulture)}",
            connection, transaction))
        {
            await threshold.ExecuteNonQueryAsync(cancellationToken);
        }

        long total = 0;
        var facets = request.Facets.Distinct(StringComparer.Ordinal).ToDictionary(f => f, _ => new List<FacetCount>(), StringComparer.Ordinal);
        await using (var count = sql.Command(
            $"WITH hits AS MATERIALIZED (SELECT departments, sources, document_type, language, status, has_deadline FROM {_table} WHERE {whereSql}) {facetSql}",
            connection, transaction))
        await using (var reader = await count.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                var facet = reader.GetString(0);
                var n = reader.GetInt64(2);
                if (facet.Length == 0) total = n;
                else facets[facet].Add(new FacetCount(reader.GetString(1), n));
            }
        }

        var hits = new List<SearchHit>();
        var offset = (request.Page - 1) * request.PageSize;
        await using (var page = sql.Command(
            $"""
            WITH page AS (
                SELECT id, file_name, document_type, departments, language, status, created_at, summary, body, source_status, ({rankSql})::float8 AS score
                FROM {_table} WHERE {whereSql} ORDER BY {orderSql} LIMIT {request.PageSize} OFFSET {offset})
            SELECT id, file_name, document_type, departments, language, status, created_at, score, source_status,
                   CASE WHEN ({headlineQuery}) IS NULL THEN NULL ELSE ts_headline('english',
                       replace(replace(replace(left(CASE WHEN body = '' THEN summary ELSE body END, {HeadlineInputLength}), '&', '&amp;'), '<', '&lt;'), '>', '&gt;'),
                       {headlineQuery}, 'StartSel=<mark>, StopSel=</mark>, MaxFragments=2, MaxWords=30, MinWords=10, FragmentDelimiter=" … "') END,
                   left(CASE WHEN body = '' THEN summary ELSE body END, 240)
            FROM page ORDER BY {orderSql}
            """, connection, transaction))
        await using (var reader = await page.ExecuteReaderAsync(cancellationToken))
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
        await transaction.CommitAsync(cancellationToken);
        return new SearchResults(total, request.Page, request.PageSize, hits,
            facets.ToDictionary(
                pair => pair.Key,
                pair => (IReadOnlyList<FacetCount>)pair.Value.OrderByDescending(v => v.Count).ThenBy(v => v.Value, StringComparer.Ordinal).ToList(),
                StringComparer.Ordinal));
    }

    public async ValueTask DisposeAsync()
    {
        await _dataSource.DisposeAsync();
        _analyzer.Dispose();
        _schemaLock.Dispose();
    }

    private void AddClause(SearchClause clause, SqlBuilder sql, List<string> where, List<string> rank, List<string> headline)
    {
        var words = _analyzer.Tokens(SearchAnalyzer.Body, clause.Text);
        if (words.Count == 0) return;
        switch (clause.Kind)
        {
            case ClauseKind.Prefix:
            {
                var lexemes = words.Select((w, i) => Quote(w) + (i == words.Count - 1 ? ":*" : string.Empty));
                var q = $"to_tsquery('simple', {sql.Add(string.Join(" & ", lexemes))})";
                where.Add($"tsv_simple @@ {q}");
                rank.Add($"ts_rank(tsv_simple, {q})");
                headline.Add(q);
                break;
            }
            case ClauseKind.Fuzzy:
                foreach (var word in words)
                {
                    // The trigram index finds candidate words; the edit distance (as Lucene's FuzzyQuery counts it) decides.
                    var p = sql.Add(word);
                    var edits = word.Length >= 8 ? 2 : 1;
                    var q = Expansion(p, $"left(word, 1) = left({p}, 1) AND levenshtein_less_equal(word, {p}, {edits}) <= {edits}");
                    where.Add($"tsv_simple @@ {q}");
                    rank.Add($"ts_rank(tsv_simple, {q})");
                    headline.Add(q);
                }
                break;
            case ClauseKind.Word when words.Count == 1 && IndicText.IsIndic(words[0]) && words[0].Length >= IndicText.MinSimilarityLength:
            {
                // The indexed words sharing the first two letters and enough of the padded trigrams, as in Lucene.
                var p = sql.Add(words[0]);
                var threshold = IndicText.SimilarityThreshold.ToString(System.Globalization.CultureInfo.InvariantCulture);
                var q = Expansion(p, $"left(word, 2) = left({p}, 2) AND word_similarity({p}, word) >= {threshold}");
                where.Add($"tsv_simple @@ {q}");
                rank.Add($"ts_rank(tsv_simple, {q})");
                headline.Add(q);
                break;
            }
            default:
            {
                // A word, or a phrase (or a word the analyser splits, WO-2025-0042): the analysed words in order.
                var indic = words.Any(IndicText.IsIndic);
                var config = indic ? "simple" : "english";
                var vector = indic ? "tsv_simple" : "tsv_en";
                var q = $"phraseto_tsquery('{config}', {sql.Add(string.Join(' ', words))})";
                where.Add($"{vector} @@ {q}");
                rank.Add($"ts_rank({vector}, {q})");
                headline.Add(q);
                break;
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
    private static string Quote(string word) => "'" + word.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("'", "''", StringComparison.Ordinal) + "'";

    private async Task EnsureSchemaAsync(CancellationToken cancellationToken)
    {
        if (_schemaReady) return;
        await _schemaLock.WaitAsync(cancellationToken);
        try
        {
            if (_schemaReady) return;
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
                    tsv_simple tsvector NOT NULL);
                CREATE INDEX IF NOT EXISTS {_table}_tsv_en ON {_table} USING gin (tsv_en);
                CREATE INDEX IF NOT EXISTS {_table}_tsv_simple ON {_table} USING gin (tsv_simple);
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

    private const string UpsertSql =
        """
        INSERT INTO {0} AS t (id, updated_at, created_at, file_name, summary, body, document_type, language, status,
                              has_deadline, departments, readers, sources, tsv_en, tsv_simple, source_status)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, to_tsvector('english', $14), to_tsvector('simple', $15), $16)
        ON CONFLICT (id) DO UPDATE SET
            updated_at = EXCLUDED.updated_at, created_at = EXCLUDED.created_at, file_name = EXCLUDED.file_name,
            summary = EXCLUDED.summary, body = EXCLUDED.body, document_type = EXCLUDED.document_type,
            language = EXCLUDED.language, status = EXCLUDED.status, has_deadline = EXCLUDED.has_deadline,
            departments = EXCLUDED.departments, readers = EXCLUDED.readers, sources = EXCLUDED.sources,
            tsv_en = EXCLUDED.tsv_en, tsv_simple = EXCLUDED.tsv_simple, source_status = EXCLUDED.source_status
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
        var command = new NpgsqlBatchCommand(string.Format(System.Globalization.CultureInfo.InvariantCulture, UpsertSql, _table));
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
