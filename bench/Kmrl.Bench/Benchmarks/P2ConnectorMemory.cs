using System.Diagnostics;
using System.Globalization;
using Kmrl.Bench.Connectors;
using Kmrl.Contracts;
using Kmrl.Dapr.Testing;
using Kmrl.Testing.Fakes;
using Kmrl.Testing.Servers;

namespace Kmrl.Bench.Benchmarks;

/// <summary>
/// P2, connector paths: peak RSS growth while one big file is ingested through each connector's production Program on
/// the test sidecar (cron tick → DocumentDiscovered). The figure is the whole bench process (connector, sidecar double,
/// in-process fakes), so it is an upper bound of the connector's own. Servers (Dovecot, pure-ftpd, sshd) are other
/// processes and not counted; the fake Graph runs in this process and is.
/// </summary>
public sealed class P2ConnectorMemory : IBenchmark
{
    private const long MiB = 1024 * 1024;
    private const double TargetMiB = 64;
    private const double FlatnessMiB = 32;
    private const string MailUser = "bob";
    private const int WarmUpMiB = 4;
    private static readonly TimeSpan IngestTimeout = TimeSpan.FromMinutes(10);

    public string Id => "P2";

    public string Title => "memory, connector paths";

    public async Task<IReadOnlyList<BenchResult>> RunAsync(BenchContext context, CancellationToken cancellationToken)
    {
        int[] sizes = context.Scale<int[]>([128, 512, 1024], [32, 128]);
        var growth = new Dictionary<string, List<(int SizeMiB, double GrowthMiB)>>(StringComparer.Ordinal);
        var ftp = new PureFtpServer();
        var sshd = new OpenSshSftpServer();
        var dovecot = new DovecotImapServer();
        await ftp.InitializeAsync();
        await sshd.InitializeAsync();
        await dovecot.InitializeAsync();
        try
        {
            // JIT and first-use allocations of each path (a process-wide, one-off cost) would otherwise count against
            // the first measured size: one small unreported file through every path first.
            foreach (var sizeMiB in sizes.Prepend(WarmUpMiB))
            {
                var size = sizeMiB * MiB;
                var source = context.Scratch.Combine($"p2-{sizeMiB}.pdf");
                await LargeFiles.WriteRandomAsync(source, size, cancellationToken);
                try
                {
                    var warmUp = sizeMiB == WarmUpMiB;
                    var ftpGrowth = await FtpAsync(context, ftp, source, sizeMiB, cancellationToken);
                    var sftpGrowth = await SftpAsync(context, sshd, source, sizeMiB, cancellationToken);
                    var imapGrowth = await ImapAsync(context, dovecot, source, sizeMiB, cancellationToken);
                    var graphGrowth = await GraphAsync(context, source, sizeMiB, cancellationToken);
                    if (!warmUp)
                    {
                        Record(growth, "FTP", sizeMiB, ftpGrowth);
                        Record(growth, "SFTP", sizeMiB, sftpGrowth);
                        Record(growth, "IMAP attachment", sizeMiB, imapGrowth);
                        Record(growth, "Graph (fake SharePoint)", sizeMiB, graphGrowth);
                    }
                }
                finally
                {
                    File.Delete(source);
                }
            }
        }
        finally
        {
            await dovecot.DisposeAsync();
            await sshd.DisposeAsync();
            await ftp.DisposeAsync();
        }
        return Rows(growth);
    }

    private static void Record(Dictionary<string, List<(int, double)>> growth, string path, int sizeMiB, long growthBytes)
    {
        if (!growth.TryGetValue(path, out var list))
        {
            growth[path] = list = [];
        }
        list.Add((sizeMiB, growthBytes / (double)MiB));
    }

    private static async Task<long> FtpAsync(BenchContext context, PureFtpServer ftp, string source, int sizeMiB, CancellationToken cancellationToken)
    {
        var folder = $"p2-{sizeMiB}";
        var target = Path.Combine(ftp.RootPath, folder, "manual.pdf");
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        File.Copy(source, target);
        await ftp.SeedFileAsync($"{folder}/manual.pdf.done", []); // the done marker; also gives the files to the FTP user
        try
        {
            return await MeasureAsync(context, "FTP", sizeMiB, DaprNames.AppIds.MaximoConnector, DaprNames.Bindings.MaximoSchedule,
                options => options.AllowSecrets(DaprNames.AppIds.MaximoConnector, "maximo-export").Secrets["maximo-export"] = new Dictionary<string, object> { ["password"] = ftp.Password },
                sidecar => ConnectorApps.StartMaximoAsync(sidecar, MaximoSettings("/" + folder, new()
                {
                    ["Protocol"] = "Ftp", ["Host"] = ftp.Host, ["Port"] = ftp.Port.ToString(CultureInfo.InvariantCulture),
                    ["UserName"] = ftp.User, ["Secret"] = "maximo-export", ["AllowInsecureFtp"] = "true", // the lab pure-ftpd has no TLS
                })), cancellationToken);
        }
        finally
        {
            Directory.Delete(Path.Combine(ftp.RootPath, folder), recursive: true);
        }
    }

    private static async Task<long> SftpAsync(BenchContext context, OpenSshSftpServer sshd, string source, int sizeMiB, CancellationToken cancellationToken)
    {
        var folder = Path.Combine(sshd.HomePath, $"p2-{sizeMiB}");
        Directory.CreateDirectory(folder);
        File.Copy(source, Path.Combine(folder, "manual.pdf"));
        await sshd.SeedFileAsync($"p2-{sizeMiB}/manual.pdf.done", []); // the done marker; also gives the files to the SFTP user
        var key = await File.ReadAllTextAsync(sshd.ClientPrivateKeyPath, cancellationToken);
        try
        {
            return await MeasureAsync(context, "SFTP", sizeMiB, DaprNames.AppIds.MaximoConnector, DaprNames.Bindings.MaximoSchedule,
                options => options.AllowSecrets(DaprNames.AppIds.MaximoConnector, "maximo-export").Secrets["maximo-export"] = new Dictionary<string, object> { ["private-key"] = key },
                sidecar => ConnectorApps.StartMaximoAsync(sidecar, MaximoSettings(folder, new()
                {
                    ["Protocol"] = "Sftp", ["Host"] = sshd.Host, ["Port"] = sshd.Port.ToString(CultureInfo.InvariantCulture),
                    ["UserName"] = sshd.User, ["Secret"] = "maximo-export", ["HostKeySha256"] = sshd.HostKeyFingerprintSha256,
                })), cancellationToken);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static async Task<long> ImapAsync(BenchContext context, DovecotImapServer dovecot, string source, int sizeMiB, CancellationToken cancellationToken)
    {
        var folder = $"P2-{sizeMiB}";
        var message = context.Scratch.Combine($"p2-{sizeMiB}.eml");
        await LargeFiles.WriteMessageAsync(message, source, "manual.pdf", cancellationToken);
        try
        {
            await using var stream = File.OpenRead(message);
            await dovecot.DeliverAsync(MailUser, stream, folder);
        }
        finally
        {
            File.Delete(message);
        }
        return await MeasureAsync(context, "IMAP attachment", sizeMiB, DaprNames.AppIds.EmailConnector, DaprNames.Bindings.EmailSchedule,
            options => options.Secrets["email-ops-mailbox"] = new Dictionary<string, object> { ["password"] = dovecot.Users[MailUser] },
            sidecar => ConnectorApps.StartEmailAsync(sidecar, new Dictionary<string, string>
            {
                ["Connector:Filters:MaxSizeBytes"] = MaxSizeBytes,
                ["Email:Mailboxes:0:Name"] = "bench",
                ["Email:Mailboxes:0:Host"] = dovecot.Host,
                ["Email:Mailboxes:0:Port"] = dovecot.Port.ToString(CultureInfo.InvariantCulture),
                ["Email:Mailboxes:0:Tls"] = "None",
                ["Email:Mailboxes:0:AllowInsecureConnection"] = "true", // the lab Dovecot has no TLS
                ["Email:Mailboxes:0:UserName"] = MailUser,
                ["Email:Mailboxes:0:Secret"] = "email-ops-mailbox",
                ["Email:Mailboxes:0:Folders:0"] = folder,
                ["Email:Mailboxes:0:PostProcessing"] = "Leave",
                ["Email:Mailboxes:0:UseIdle"] = "false",
            }), cancellationToken);
    }

    private static async Task<long> GraphAsync(BenchContext context, string source, int sizeMiB, CancellationToken cancellationToken)
    {
        // A fresh fake per file: the first delta of a fresh environment lists the whole drive.
        await using var graph = await FakeGraph.StartAsync();
        graph.AddFileFromDisk("manual.pdf", FakeGraph.RootId, source);
        return await MeasureAsync(context, "Graph (fake SharePoint)", sizeMiB, DaprNames.AppIds.SharePointConnector, DaprNames.Bindings.SharePointSchedule,
            _ => { },
            sidecar => ConnectorApps.StartSharePointAsync(sidecar, new Dictionary<string, string>
            {
                ["Connector:Filters:MaxSizeBytes"] = MaxSizeBytes,
                ["SharePoint:GraphBaseUrl"] = graph.GraphBaseUrl.ToString(),
                ["SharePoint:Libraries:0:Site"] = FakeGraph.SiteUrl,
                ["SharePoint:Libraries:0:Library"] = "Documents",
                ["SharePoint:Libraries:0:Name"] = "engineering",
            }), cancellationToken);
    }

    /// <summary>Above the largest file: the default (100 MiB) and Maximo's appsettings (512 MiB) would reject it.</summary>
    private static string MaxSizeBytes => (4L * 1024 * MiB).ToString(CultureInfo.InvariantCulture);

    private static Dictionary<string, string> MaximoSettings(string folder, Dictionary<string, string> server)
    {
        var settings = server.ToDictionary(s => "Maximo:ExportFolders:0:Server:" + s.Key, s => s.Value, StringComparer.Ordinal);
        settings["Maximo:ExportFolders:0:Server:Timeout"] = "00:02:00";
        settings["Maximo:ExportFolders:0:Name"] = "exports";
        settings["Maximo:ExportFolders:0:Folder"] = folder;
        settings["Maximo:ExportFolders:0:DoneMarkerSuffix"] = ".done";
        settings["Connector:Filters:MaxSizeBytes"] = MaxSizeBytes;
        return settings;
    }

    /// <summary>A fresh environment and app per file; RSS is sampled from the cron tick to DocumentDiscovered.</summary>
    private static async Task<long> MeasureAsync<TApp>(BenchContext context, string path, int sizeMiB, string appId, string cronBinding,
        Action<DaprTestOptions> configure, Func<DaprSidecar, Task<TApp>> startApp, CancellationToken cancellationToken)
        where TApp : IAsyncDisposable
    {
        await using var environment = await DaprTestEnvironment.StartAsync(context.Redis, configure);
        var sidecar = await environment.StartSidecarAsync(appId);
        await using var app = await startApp(sidecar);
        // The previous file's memory would otherwise stay committed (the GC keeps what it had) and this ingest would
        // reuse it and show less growth: give it back to the OS first.
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        var clock = Stopwatch.StartNew();
        long growth, start, peak;
        IReadOnlyList<DocumentDiscovered> events;
        await using (var sampler = RssSampler.Start())
        {
            await sidecar.FireCronAsync(cronBinding);
            events = await environment.WaitForEventsAsync<DocumentDiscovered>(DaprNames.Topics.DocumentDiscovered, 1, IngestTimeout);
            growth = sampler.GrowthBytes;
            start = sampler.StartBytes;
            peak = sampler.PeakBytes;
        }
        cancellationToken.ThrowIfCancellationRequested();
        if (events.Count != 1 || events[0].Size != sizeMiB * MiB)
        {
            throw new InvalidOperationException(
                $"{path}, {sizeMiB} MiB: expected one DocumentDiscovered of {sizeMiB * MiB} bytes, got {events.Count} ({string.Join(", ", events.Select(e => e.Size))}).");
        }
        context.Log.WriteLine(
            $"   {path}, {sizeMiB} MiB: RSS growth {growth / (double)MiB:F1} MiB ({start / (double)MiB:F0} → {peak / (double)MiB:F0} MiB), " +
            $"ingested in {clock.Elapsed.TotalSeconds:F1} s ({sizeMiB / clock.Elapsed.TotalSeconds:F0} MiB/s)");
        return growth;
    }

    private static List<BenchResult> Rows(Dictionary<string, List<(int SizeMiB, double GrowthMiB)>> growth)
    {
        const string scope = "whole bench process (connector + sidecar double + in-process fakes): an upper bound";
        var rows = new List<BenchResult>();
        foreach (var (path, measured) in growth)
        {
            foreach (var (sizeMiB, growthMiB) in measured)
            {
                rows.Add(new BenchResult("P2", $"{path}, {sizeMiB} MiB file: peak RSS growth", $"{growthMiB:F1} MiB", $"{sizeMiB} MiB",
                    (growthMiB / sizeMiB).ToString("F3", CultureInfo.InvariantCulture), $"< {TargetMiB:F0} MiB", growthMiB < TargetMiB, scope));
            }
            var smallest = measured.MinBy(m => m.SizeMiB);
            var largest = measured.MaxBy(m => m.SizeMiB);
            rows.Add(new BenchResult("P2", $"{path}: flatness, {smallest.SizeMiB} → {largest.SizeMiB} MiB",
                $"{largest.GrowthMiB:F1} MiB at {largest.SizeMiB} MiB", $"{smallest.GrowthMiB:F1} MiB at {smallest.SizeMiB} MiB",
                (largest.GrowthMiB / Math.Max(smallest.GrowthMiB, 0.1)).ToString("F2", CultureInfo.InvariantCulture),
                $"flat: Δ < {FlatnessMiB:F0} MiB", largest.GrowthMiB - smallest.GrowthMiB < FlatnessMiB,
                $"the file grew {largest.SizeMiB / (double)smallest.SizeMiB:F0}×"));
        }
        return rows;
    }
}
