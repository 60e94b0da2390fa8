extern alias documentapi;

using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Kmrl.Connectors.Sync;
using Kmrl.Contracts;
using Kmrl.Dapr.Testing;
using Kmrl.Dapr.Testing.PubSub;
using Kmrl.Reliability.Tests.Support;
using Kmrl.ServiceDefaults;
using Kmrl.Testing.Documents;
using Kmrl.Testing.Servers;
using Xunit.Abstractions;
using DocumentPage = documentapi::Kmrl.DocumentApi.Ports.DocumentPage;
using DocumentRecord = documentapi::Kmrl.DocumentApi.Model.DocumentRecord;
using DocumentStatus = documentapi::Kmrl.DocumentApi.Model.DocumentStatus;

namespace Kmrl.Reliability.Tests.CrashConsistency;

/// <summary>
/// R1, crash consistency (issue 11): maximo-connector's production build runs as a child process over a real
/// pure-ftpd export folder of 500 PDFs and is killed with SIGKILL at random points of its sync, restarted, killed
/// again; the production document-api runs on the same test Dapr environment, consumes DocumentDiscovered and
/// catalogues. At the end the catalog holds every document exactly once: re-publications after a kill carry the
/// same idempotency key and must be ignored.
/// </summary>
public sealed class CrashConsistencyTests(PureFtpServer ftp, RedisServer redis, ITestOutputHelper output)
    : IClassFixture<PureFtpServer>, IClassFixture<RedisServer>
{
    private const string ApiKey = "r1-catalog-reader-0123456789abcdef";
    private const string ConnectorProject = "Kmrl.Connectors.Maximo";
    private const string SourceName = "r1-exports";
    private const string ExportFolder = "/r1";
    private const string ArchiveFolder = "/r1-archive";
    private const string DoneMarker = ".done";
    private const int Documents = 500;

    [Fact]
    public async Task A_connector_killed_by_sigkill_at_random_points_leaves_every_document_in_the_catalog_exactly_once()
    {
        var kills = ReliabilityMode.Scale(5, 20);
        var seed = Environment.GetEnvironmentVariable("KMRL_R1_SEED") is { Length: > 0 } replay
            ? int.Parse(replay, CultureInfo.InvariantCulture)
            : Random.Shared.Next();
        output.WriteLine($"R1 seed {seed} (replay with KMRL_R1_SEED={seed}), {kills} kills, {Documents} documents");
        var random = new Random(seed);
        var expectedSourceIds = (await SeedExportFolderAsync()).Select(name => $"{SourceName}/{ExportFolder}/{name}").ToHashSet(StringComparer.Ordinal);
        var tail = new LogTail(400);
        var clock = Stopwatch.StartNew();

        await using var environment = await DaprTestEnvironment.StartAsync(redis, options =>
        {
            options.Secrets["maximo-export"] = new Dictionary<string, object> { ["password"] = ftp.Password };
            options.AllowSecrets(DaprNames.AppIds.MaximoConnector, "maximo-export");
            options.Secrets["document-api-api-keys"] = new Dictionary<string, object> { ["r1"] = ApiKey + ";upload,read" };
            options.Log = tail.Add;
            OperatorAccess.Grant(options);
        });
        try
        {
            var catalogSidecar = await environment.StartSidecarAsync(DaprNames.AppIds.DocumentApi);
            // Per-document information logs of 500 workflows would only slow the machine down.
            await using var catalog = await catalogSidecar.StartAppAsync<documentapi::Program>(new Dictionary<string, string>
            {
                ["Logging:LogLevel:Default"] = "Warning",
                ["Logging:LogLevel:Kmrl"] = "Information",
                // The catalog extracts in its pooled, isolated workers (the default): with a worker process per
                // document, 500 starts on 2 cores starved the connector under test until every run hit its lease.
            });
            var connectorSidecar = await environment.StartSidecarAsync(DaprNames.AppIds.MaximoConnector);
            var settings = ConnectorSettings(connectorSidecar);

            var killPoints = new List<string>();
            for (var life = 0; ; life++)
            {
                await using var connector = ServiceProcess.Start(ConnectorProject, settings, tail.Add);
                await connector.WaitUntilAliveAsync(TimeSpan.FromSeconds(90));
                await connectorSidecar.AttachAppAsync(connector.Address);
                await using var ticker = CronTicker.Start(connectorSidecar, DaprNames.Bindings.MaximoSchedule, TimeSpan.FromSeconds(1));
                using var http = OperatorAccess.Client(connector.Address, TimeSpan.FromSeconds(30));
                var probe = new ConnectorProbe(http);
                if (life == kills)
                {
                    // The last life runs to the end: a completed run has handed on every file of the folder.
                    var completed = await probe.WaitForRunAsync(SourceName, null, TimeSpan.FromMinutes(4), run => run.Outcome == SyncOutcome.Completed);
                    output.WriteLine($"Life {life}: completed run {completed.RunId} ({completed.Counts.Discovered} discovered) after {clock.Elapsed:mm\\:ss}");
                    break;
                }

                // A random point of the sync: after a random number of further publications (spread so that every
                // life has work left), then either at once (the few milliseconds between a publication and the
                // checkpoint that covers it: the document is published again after the restart) or a random
                // 1-250 ms later, anywhere in download, blob write, publication, checkpoint or archive move.
                var published = await PublishedCountAsync(environment);
                var remaining = Documents - (await DiscoveredSourceIdsAsync(environment)).Distinct(StringComparer.Ordinal).Count();
                var advance = random.Next(1, Math.Max(2, 2 * remaining / (kills - life + 1)));
                var lateBy = random.Next(2) == 0 ? 0 : random.Next(1, 250);
                var reached = await WaitForPublicationsAsync(environment, probe, published + advance, TimeSpan.FromMinutes(2));
                if (lateBy > 0)
                {
                    await Task.Delay(lateBy);
                }
                var atKill = await PublishedCountAsync(environment);
                await connector.KillAsync();
                killPoints.Add($"pid {connector.Pid} after {atKill - published} publications ({(reached ? "target " + advance : "source finished")}) + {lateBy} ms");
                output.WriteLine($"Life {life}: SIGKILL {killPoints[^1]} at {clock.Elapsed:mm\\:ss}");
            }
            var connectorDone = clock.Elapsed;

            var discovered = await DiscoveredSourceIdsAsync(environment);
            await WaitForCatalogAsync(environment, catalogSidecar, discovered.Count, TimeSpan.FromMinutes(4));
            using var api = new HttpClient { BaseAddress = catalog.ClientOptions.BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
            api.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", ApiKey);
            var records = await ListCatalogAsync(api, DocumentSources.MaximoExport);
            var storedRecords = await CountStoredRecordsAsync(environment);
            var deadLetters = (await environment.PublishedAsync(DaprNames.Topics.DocumentDiscoveredDeadLetter)).Count;

            var arrivals = records.SelectMany(r => r.Provenance.Where(p => p.Source == DocumentSources.MaximoExport).Select(p => (Record: r, p.SourceId))).ToList();
            var catalogued = arrivals.Select(a => a.SourceId).ToHashSet(StringComparer.Ordinal);
            var lost = expectedSourceIds.Where(id => !catalogued.Contains(id)).Order(StringComparer.Ordinal).ToList();
            var duplicated = arrivals.GroupBy(a => a.SourceId, StringComparer.Ordinal).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
            var unexpected = catalogued.Where(id => !expectedSourceIds.Contains(id)).ToList();
            var notProcessed = records.Where(r => r.Status != DocumentStatus.Processed)
                .Select(r => $"{r.DocumentId} {r.FileName} {r.Status} {r.Rejection?.Reason}").ToList();
            var leftInFolder = Directory.EnumerateFiles(Path.Combine(ftp.RootPath, ExportFolder.TrimStart('/')))
                .Count(path => !path.EndsWith(DoneMarker, StringComparison.Ordinal));

            output.WriteLine($"Kills: {kills}; DocumentDiscovered published: {discovered.Count} ({discovered.Distinct(StringComparer.Ordinal).Count()} distinct source ids); " +
                $"catalog: {records.Count} listed, {storedRecords} records in the state store, {lost.Count} lost, {duplicated.Count} duplicated, " +
                $"{notProcessed.Count} not processed, {deadLetters} dead-lettered; handed files left in the export folder: {leftInFolder}; " +
                $"connector done at {connectorDone:mm\\:ss}, catalog done at {clock.Elapsed:mm\\:ss}");
            ReliabilityReport.Record("R1", "SIGKILLs of the connector child process at random points", kills.ToString(CultureInfo.InvariantCulture), $"random points (seed {seed})");
            ReliabilityReport.Record("R1", "DocumentDiscovered published (incl. re-published after a kill)", discovered.Count.ToString(CultureInfo.InvariantCulture), $">= {Documents}");
            ReliabilityReport.Record("R1", "documents re-published after a kill", (discovered.Count - discovered.Distinct(StringComparer.Ordinal).Count()).ToString(CultureInfo.InvariantCulture), "ignored downstream (same idempotency key)");
            ReliabilityReport.Record("R1", "documents in the catalog", $"{records.Count} listed, {storedRecords} stored", $"{Documents}");
            ReliabilityReport.Record("R1", "documents lost", lost.Count.ToString(CultureInfo.InvariantCulture), "0");
            ReliabilityReport.Record("R1", "documents duplicated", duplicated.Count.ToString(CultureInfo.InvariantCulture), "0");
            ReliabilityReport.Record("R1", "files handed on but left in the export folder at the end",
                leftInFolder.ToString(CultureInfo.InvariantCulture), "0: a move cut short by a kill is redone at the next poll");
            ReliabilityReport.Record("R1", "time to ingest and catalogue the source with the kills", $"{clock.Elapsed.TotalSeconds:F0} s", "bounded");

            Assert.True(lost.Count == 0, $"{lost.Count} documents lost: {string.Join(", ", lost.Take(20))}");
            Assert.True(duplicated.Count == 0, $"{duplicated.Count} source items catalogued more than once: {string.Join(", ", duplicated.Take(20))}");
            Assert.Empty(unexpected);
            Assert.Equal(0, leftInFolder);
            Assert.Equal(Documents, records.Count);
            Assert.Equal(Documents, storedRecords);
            Assert.All(records, record => Assert.Single(record.Provenance));
            Assert.True(notProcessed.Count == 0, $"{notProcessed.Count} records not processed: {string.Join("; ", notProcessed.Take(20))}");
            Assert.Equal(0, deadLetters);
            Assert.True(discovered.Count >= Documents);
        }
        finally
        {
            tail.WriteTo(output);
        }
    }

    /// <summary>500 distinct small text PDFs, each with its done marker, in the export folder; returns their names.</summary>
    private async Task<IReadOnlyList<string>> SeedExportFolderAsync()
    {
        var folder = Path.Combine(ftp.RootPath, ExportFolder.TrimStart('/'));
        Directory.CreateDirectory(folder);
        var names = new List<string>();
        for (var i = 1; i <= Documents; i++)
        {
            var name = $"WO-{i:D5}.pdf";
            var pdf = TestCorpus.TextPdf(
                $"KMRL work order WO-{i:D5}",
                $"Bogie inspection of train set TS-{i % 25 + 1:D2} at Muttom depot, job card {i * 7919 % 100000:D5}.");
            await File.WriteAllBytesAsync(Path.Combine(folder, name), pdf);
            await File.WriteAllBytesAsync(Path.Combine(folder, name + DoneMarker), []);
            names.Add(name);
        }
        // SeedFileAsync hands the whole FTP root to the FTP user (archive moves need write access): once, not 1000 times.
        await ftp.SeedFileAsync("r1-seeded.txt", "seeded"u8.ToArray());
        return names;
    }

    private Dictionary<string, string?> ConnectorSettings(DaprSidecar sidecar) => new(sidecar.AppConfiguration)
    {
        ["Maximo:ExportFolders:0:Name"] = SourceName,
        ["Maximo:ExportFolders:0:Folder"] = ExportFolder,
        ["Maximo:ExportFolders:0:ArchiveFolder"] = ArchiveFolder,
        ["Maximo:ExportFolders:0:DoneMarkerSuffix"] = DoneMarker,
        ["Maximo:ExportFolders:0:Server:Protocol"] = "Ftp",
        ["Maximo:ExportFolders:0:Server:AllowInsecureFtp"] = "true",
        ["Maximo:ExportFolders:0:Server:Host"] = ftp.Host,
        ["Maximo:ExportFolders:0:Server:Port"] = ftp.Port.ToString(CultureInfo.InvariantCulture),
        ["Maximo:ExportFolders:0:Server:UserName"] = ftp.User,
        ["Maximo:ExportFolders:0:Server:Secret"] = "maximo-export",
        // A killed replica's lock outlives it until its lease ends: the shortest lease the host accepts keeps the
        // wait after each kill short. Runs stop themselves 2 s before it ends and the next tick continues.
        ["Connector:LockLeaseDuration"] = "00:00:10",
        ["Connector:LeaseSafetyMargin"] = "00:00:02",
        // The default bucket (5 per second) is for a production FTP server; here it would only stretch the test.
        ["Connector:RateLimit:TokenLimit"] = "1000",
        ["Connector:RateLimit:TokensPerPeriod"] = "1000",
    };

    /// <summary>
    /// Waits until the topic holds <paramref name="target"/> events, or the connector has finished the folder
    /// (nothing more will come). True when the target was reached.
    /// </summary>
    private static async Task<bool> WaitForPublicationsAsync(DaprTestEnvironment environment, ConnectorProbe probe, long target, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        for (var poll = 0; DateTime.UtcNow < deadline; poll++)
        {
            if (await PublishedCountAsync(environment) >= target)
            {
                return true;
            }
            if (poll % 500 == 499 && (await probe.SourceAsync(SourceName)).LastRun is { Outcome: SyncOutcome.Completed })
            {
                return false;
            }
            // As tight as the timer allows: a kill "at once" must land before the checkpoint is stored.
            await Task.Delay(1);
        }
        throw new TimeoutException($"The connector did not publish {target} DocumentDiscovered events within {timeout}.");
    }

    // A run's first documents go on the interactive topic, the rest of the import on the bulk topic: both count.
    private static readonly string[] DiscoveredTopics = [DaprNames.Topics.DocumentDiscovered, DaprNames.Topics.DocumentDiscoveredBulk];

    // The broker keeps one Redis stream per topic: its length is a cheap count to poll every few milliseconds.
    private static async Task<long> PublishedCountAsync(DaprTestEnvironment environment) =>
        await environment.Redis.GetDatabase().StreamLengthAsync(DaprNames.Topics.DocumentDiscovered)
        + await environment.Redis.GetDatabase().StreamLengthAsync(DaprNames.Topics.DocumentDiscoveredBulk);

    private static async Task<IReadOnlyList<string>> DiscoveredSourceIdsAsync(DaprTestEnvironment environment)
    {
        var ids = new List<string>();
        foreach (var topic in DiscoveredTopics)
        {
            ids.AddRange((await environment.WaitForEventsAsync<DocumentDiscovered>(topic, 0)).Select(e => e.SourceId));
        }
        return ids;
    }

    /// <summary>
    /// Waits until document-api has taken every DocumentDiscovered off the topic and a workflow has ended (processed or
    /// rejected) for each distinct document; on timeout returns anyway, so the assertions name what is missing.
    /// </summary>
    private async Task WaitForCatalogAsync(DaprTestEnvironment environment, DaprSidecar catalogSidecar, int published, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        var database = environment.Redis.GetDatabase();
        var progress = Stopwatch.StartNew();
        while (DateTime.UtcNow < deadline)
        {
            var delivered = catalogSidecar.Deliveries.Count(d => DiscoveredTopics.Contains(d.Topic) && d.Outcome != DeliveryOutcome.Retry);
            var processed = await database.StreamLengthAsync(DaprNames.Topics.DocumentProcessed);
            var rejected = await database.StreamLengthAsync(DaprNames.Topics.DocumentRejected);
            if (delivered >= published && processed + rejected >= Documents)
            {
                return;
            }
            if (progress.Elapsed > TimeSpan.FromSeconds(15))
            {
                output.WriteLine($"{DateTime.UtcNow:HH:mm:ss} catalog: {delivered} of {published} DocumentDiscovered taken, {processed} processed, {rejected} rejected, {await CountStoredRecordsAsync(environment)} records stored");
                progress.Restart();
            }
            await Task.Delay(500);
        }
        output.WriteLine($"The catalog did not settle within {timeout}; asserting on what it holds.");
    }

    private static async Task<IReadOnlyList<DocumentRecord>> ListCatalogAsync(HttpClient api, string source)
    {
        var records = new List<DocumentRecord>();
        for (var page = 1; ; page++)
        {
            var result = await api.GetFromJsonAsync<DocumentPage>($"/documents?source={source}&pageSize=100&page={page}", KmrlJson.Options)
                ?? throw new InvalidOperationException("GET /documents answered an empty body.");
            records.AddRange(result.Items);
            if (!result.HasMore)
            {
                return records;
            }
        }
    }

    /// <summary>Catalog records in the state store itself (keys <c>document-api||doc:*</c>), independent of the listing's index.</summary>
    private static async Task<int> CountStoredRecordsAsync(DaprTestEnvironment environment)
    {
        var server = environment.Redis.GetServer(environment.Redis.GetEndPoints()[0]);
        var count = 0;
        await foreach (var _ in server.KeysAsync(pattern: DaprNames.AppIds.DocumentApi + "||doc:*"))
        {
            count++;
        }
        return count;
    }
}
