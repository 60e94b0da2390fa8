using System.Diagnostics;
using System.Globalization;
using Kmrl.Search;
using Kmrl.Search.Lucene;
using Kmrl.Search.Postgres;
using Kmrl.Testing.Servers;

namespace Kmrl.Bench.Benchmarks;

/// <summary>
/// P7: search latency (p95, target under 100 ms) and indexing rate on generated bilingual documents, for the embedded
/// Lucene engine and for PostgreSQL, against a baseline measured on the same texts in the same run: an in-memory
/// case-insensitive substring scan (what grep or a LIKE '%word%' does, with no stemming, no inflection, no ranking),
/// counting every hit and taking the newest page, as the engines do. Each query also counts three facets, half of them
/// in a one-department scope. Then the same queries from four concurrent clients: the figure under contention.
/// </summary>
public sealed class P7Search : IBenchmark
{
    private const int PageSize = 20;
    private const int Clients = 4;
    private static readonly string[] Departments = ["engineering", "maintenance", "operations", "safety", "finance", "procurement", "hr", "legal"];
    private static readonly string[] Types = ["job-card", "invoice", "safety-circular", "drawing", "tender", "incident-report", "hr-policy", "other"];
    private static readonly string[] Sources = ["email", "sharepoint", "maximo", "whatsapp", "upload"];

    private static readonly string[] English =
    [
        "inspection", "escalator", "maintenance", "Aluva", "Edappally", "Kaloor", "Vyttila", "train", "bogie", "brake",
        "overhaul", "invoice", "vendor", "safety", "circular", "platform", "signalling", "depot", "Muttom", "traction",
        "substation", "report", "incident", "staff", "schedule", "inventory", "spares", "wheel", "axle", "tender",
        "approval", "board", "minutes", "drawing", "revision", "track", "viaduct", "station", "power", "payment",
        "contractor", "ticketing", "passenger", "lift", "pantograph", "catenary", "fire", "drill", "audit", "compliance",
    ];

    // Malayalam stems and the endings they take (the stem's last letter changes too: ർ → റ before a vowel sign).
    private static readonly (string Dictionary, string Stem)[] Malayalam =
    [
        ("സർക്കുലർ", "സർക്കുലറ"), ("നിർദ്ദേശം", "നിർദ്ദേശ"), ("സ്റ്റേഷൻ", "സ്റ്റേഷന"), ("ട്രെയിൻ", "ട്രെയിന"),
        ("പരിശോധന", "പരിശോധന"), ("അറ്റകുറ്റപ്പണി", "അറ്റകുറ്റപ്പണി"), ("യാത്രക്കാർ", "യാത്രക്കാര"), ("സുരക്ഷ", "സുരക്ഷ"),
        ("ജീവനക്കാർ", "ജീവനക്കാര"), ("ടെൻഡർ", "ടെൻഡറ"), ("ബിൽ", "ബില്ല"), ("യോഗം", "യോഗ"),
    ];

    private static readonly string[] Endings = ["ിൽ", "ുകൾ", "ിന്റെ", "ിനു", "ുടെ", "ും"];

    public string Id => "P7";

    public string Title => "search";

    public async Task<IReadOnlyList<BenchResult>> RunAsync(BenchContext context, CancellationToken cancellationToken)
    {
        var count = context.Scale(100_000, 3_000);
        var queryCount = context.Scale(300, 60);
        var documents = Generate(count, new Random(20));
        var queries = Queries(queryCount, new Random(7));
        context.Log.WriteLine($"   {count} documents, {queries.Count} queries");
        var rows = new List<BenchResult>();

        var baseline = new SubstringScan(documents);
        var baselineLatencies = Measure(queries, q => baseline.Search(q));
        var baselineP95 = Percentile(baselineLatencies, 0.95);

        // The analyser alone over every text (UAX #29 words, ICU case folding): the floor under either engine's indexing.
        var analyser = new SearchAnalyzer();
        var analyseClock = Stopwatch.StartNew();
        foreach (var document in documents)
        {
            foreach (var part in document.SearchableParts()) analyser.Tokens(SearchAnalyzer.Body, part);
        }
        var analyseRate = count / analyseClock.Elapsed.TotalSeconds;

        var lucenePath = Path.Combine(context.Scratch.Path, "p7-lucene");
        using (var lucene = new LuceneSearchIndex(new LuceneSearchOptions { IndexPath = lucenePath }, new SearchAccessOptions()))
        {
            rows.AddRange(await RunEngineAsync("Lucene", lucene, documents, queries, baselineP95, analyseRate, context, cancellationToken));
        }

        var postgres = new PostgresServer();
        await postgres.InitializeAsync();
        try
        {
            await using var index = new PostgresSearchIndex(
                new PostgresSearchOptions { ConnectionString = postgres.ConnectionString, Table = "bench_search" }, new SearchAccessOptions());
            rows.AddRange(await RunEngineAsync("PostgreSQL", index, documents, queries, baselineP95, analyseRate, context, cancellationToken));
        }
        finally
        {
            await postgres.DisposeAsync();
        }
        return rows;
    }

    private async Task<IReadOnlyList<BenchResult>> RunEngineAsync(
        string engine, ISearchIndex index, IReadOnlyList<SearchDocument> documents, IReadOnlyList<BenchQuery> queries,
        double baselineP95, double analyseRate, BenchContext context, CancellationToken cancellationToken)
    {
        var indexClock = Stopwatch.StartNew();
        await index.ReplaceAllAsync(Stream(documents), cancellationToken);
        var bulkRate = documents.Count / indexClock.Elapsed.TotalSeconds;
        context.Log.WriteLine($"   {engine}: rebuilt {documents.Count} in {indexClock.Elapsed.TotalSeconds:F1} s");

        // The event path: one upsert per document, each committed before the event is acknowledged.
        var single = documents.Take(context.Scale(300, 100)).Select(d => d with { UpdatedAt = d.UpdatedAt.AddHours(1) }).ToList();
        var singleClock = Stopwatch.StartNew();
        foreach (var document in single) await index.UpsertAsync(document, cancellationToken);
        var singleRate = single.Count / singleClock.Elapsed.TotalSeconds;

        foreach (var query in queries.Take(20)) await index.SearchAsync(query.Request, query.Scope, cancellationToken);
        var latencies = new List<double>();
        long hits = 0;
        foreach (var query in queries)
        {
            var clock = Stopwatch.StartNew();
            var results = await index.SearchAsync(query.Request, query.Scope, cancellationToken);
            latencies.Add(clock.Elapsed.TotalMilliseconds);
            hits += results.Total;
        }
        var p50 = Percentile(latencies, 0.5);
        var p95 = Percentile(latencies, 0.95);

        var contended = new List<double>();
        var wall = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, Clients).Select(client => Task.Run(async () =>
        {
            var mine = new List<double>();
            foreach (var query in queries.Skip(client).Concat(queries.Take(client)))
            {
                var clock = Stopwatch.StartNew();
                await index.SearchAsync(query.Request, query.Scope, cancellationToken);
                mine.Add(clock.Elapsed.TotalMilliseconds);
            }
            lock (contended) contended.AddRange(mine);
        }, cancellationToken)));
        var contendedP95 = Percentile(contended, 0.95);
        var throughput = contended.Count / wall.Elapsed.TotalSeconds;

        var n = documents.Count.ToString("N0", CultureInfo.InvariantCulture);
        return
        [
            new BenchResult(Id, $"{engine}: search p95 over {n} documents (ms)", Ms(p95), Ms(baselineP95) + " substring scan",
                Ratio(p95 / baselineP95), "< 100 ms", p95 < 100,
                $"p50 {Ms(p50)}; {hits / (double)queries.Count:F0} hits per query on average; facets and scope in every query"),
            new BenchResult(Id, $"{engine}: search p95, {Clients} concurrent clients (ms)", Ms(contendedP95), Ms(baselineP95) + " substring scan, one client",
                Ratio(contendedP95 / baselineP95), "informative", null, $"{throughput:F0} searches/s in all"),
            new BenchResult(Id, $"{engine}: indexing, rebuild (documents/s)", Rate(bulkRate), Rate(analyseRate) + " analyser alone",
                Ratio(bulkRate / analyseRate), "informative", null, $"event path (one committed upsert each): {Rate(singleRate)} documents/s"),
        ];
    }

    private static string Ms(double value) => value.ToString("F1", CultureInfo.InvariantCulture) + " ms";

    private static string Rate(double value) => value.ToString("F0", CultureInfo.InvariantCulture);

    private static string Ratio(double value) => value.ToString("F2", CultureInfo.InvariantCulture);

    private static async IAsyncEnumerable<SearchDocument> Stream(IEnumerable<SearchDocument> documents)
    {
        foreach (var document in documents)
        {
            yield return document;
        }
        await Task.CompletedTask;
    }

    private static List<double> Measure(IEnumerable<BenchQuery> queries, Action<BenchQuery> run)
    {
        var latencies = new List<double>();
        foreach (var query in queries)
        {
            var clock = Stopwatch.StartNew();
            run(query);
            latencies.Add(clock.Elapsed.TotalMilliseconds);
        }
        return latencies;
    }

    private static double Percentile(List<double> values, double percentile)
    {
        var sorted = values.Order().ToList();
        return sorted[Math.Clamp((int)Math.Ceiling(percentile * sorted.Count) - 1, 0, sorted.Count - 1)];
    }

    internal static List<SearchDocument> Generate(int count, Random random)
    {
        var start = new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var documents = new List<SearchDocument>(count);
        for (var i = 0; i < count; i++)
        {
            var malayalam = random.NextDouble() < 0.4;
            var words = new List<string>();
            var length = random.Next(60, 160);
            for (var w = 0; w < length; w++)
            {
                if (malayalam && random.NextDouble() < 0.7)
                {
                    var (dictionary, stem) = Malayalam[random.Next(Malayalam.Length)];
                    words.Add(random.NextDouble() < 0.3 ? dictionary : stem + Endings[random.Next(Endings.Length)]);
                }
                else
                {
                    var word = English[random.Next(English.Length)];
                    words.Add(random.NextDouble() < 0.2 ? word + "s" : word);
                }
            }
            // A unique code per document, so the baseline and the engines also answer needle queries.
            words.Add($"WO-{i:D6}");
            var created = start.AddMinutes(i * 5);
            var departments = random.NextDouble() < 0.2
                ? new[] { Departments[random.Next(Departments.Length)], Departments[random.Next(Departments.Length)] }.Distinct().ToList()
                : [Departments[random.Next(Departments.Length)]];
            documents.Add(new SearchDocument
            {
                DocumentId = $"doc-{i:D6}",
                FileName = $"{Types[i % Types.Length]}-{i}.pdf",
                CreatedAt = created,
                UpdatedAt = created,
                Status = "processed",
                DocumentType = Types[random.Next(Types.Length)],
                Language = malayalam ? "ml" : "en",
                Text = string.Join(' ', words),
                Summary = string.Join(' ', words.Take(20)),
                Departments = departments,
                Sources = [Sources[random.Next(Sources.Length)]],
                KeyFields = [$"WO-{i:D6}"],
                Deadlines = random.NextDouble() < 0.1 ? [DateOnly.FromDateTime(created.UtcDateTime.AddDays(14))] : [],
            });
        }
        return documents;
    }

    private static List<BenchQuery> Queries(int count, Random random)
    {
        var queries = new List<BenchQuery>(count);
        for (var i = 0; i < count; i++)
        {
            var text = (i % 6) switch
            {
                0 => English[random.Next(English.Length)],
                1 => $"{English[random.Next(English.Length)]} {English[random.Next(English.Length)]}",
                2 => $"\"{English[random.Next(English.Length)]} {English[random.Next(English.Length)]}\"",
                3 => Malayalam[random.Next(Malayalam.Length)].Dictionary,
                4 => English[random.Next(English.Length)][..4] + "*",
                _ => random.Next(2) == 0 ? "maintenence~" : $"WO-{random.Next(1000):D6}",
            };
            var scope = i % 2 == 0 ? AccessScope.All : AccessScope.ForDepartments([Departments[random.Next(Departments.Length)]]);
            queries.Add(new BenchQuery(text, scope, new SearchRequest
            {
                Query = SearchQuery.Parse(text),
                Facets = [SearchFacets.Department, SearchFacets.Type, SearchFacets.Source],
                Sort = i % 3 == 0 ? SearchSort.Newest : SearchSort.Relevance,
                PageSize = PageSize,
            }));
        }
        return queries;
    }

    private sealed record BenchQuery(string Text, AccessScope Scope, SearchRequest Request);

    /// <summary>The baseline: every text scanned for the query's words as substrings, ignoring case; hits counted, facets too.</summary>
    private sealed class SubstringScan(IReadOnlyList<SearchDocument> documents)
    {
        public int Search(BenchQuery query)
        {
            var needles = query.Text.Replace("\"", string.Empty, StringComparison.Ordinal).TrimEnd('*', '~')
                .Split(' ', StringSplitOptions.RemoveEmptyEntries);
            var facets = new Dictionary<string, int>(StringComparer.Ordinal);
            var hits = new List<SearchDocument>();
            foreach (var document in documents)
            {
                if (!query.Scope.IsAll && !document.Departments.Any(query.Scope.Departments.Contains)) continue;
                if (!needles.All(n => document.Text.Contains(n, StringComparison.OrdinalIgnoreCase))) continue;
                hits.Add(document);
                foreach (var d in document.Departments) facets[d] = facets.GetValueOrDefault(d) + 1;
                facets[document.DocumentType!] = facets.GetValueOrDefault(document.DocumentType!) + 1;
                facets[document.Sources[0]] = facets.GetValueOrDefault(document.Sources[0]) + 1;
            }
            return hits.OrderByDescending(h => h.CreatedAt).Take(PageSize).Count() + facets.Count;
        }
    }
}
