extern alias maximo;

using System.Text;
using Kmrl.Contracts;
using Kmrl.Dapr.Testing;
using Kmrl.Reliability.Tests.Support;
using Kmrl.Testing.Servers;
using Microsoft.AspNetCore.Mvc.Testing;

namespace Kmrl.Reliability.Tests.BadInput;

/// <summary>
/// maximo-connector's production Program (export folder on real pure-ftpd) on the test sidecar, started once; the
/// steps of <see cref="Steps"/> run in order. Issue 18: one file the FTP user may not read (550 on its header peek and
/// on its download) held the folder for good; now it is dead-lettered once and the next good export arrives.
/// </summary>
public sealed class MaximoExportCorpusFixture : IAsyncLifetime
{
    public static IReadOnlyList<SourceCase<MaximoExportCorpusFixture>> Steps { get; } =
    [
        new("ftp-mif-export-without-read-permission-550", "dead-lettered:550:attempts=1", f => f.AddAndRunAsync("WO-P1.dat", readable: false)),
        new("ftp-good-export-after-the-unreadable-one", "discovered", f => f.AddAndRunAsync("WO-P2.dat", readable: true)),
        // The checkpoint moved past the poison file: a later tick neither downloads nor dead-letters it again.
        new("ftp-unreadable-export-on-the-next-tick", "not-asked-again", f => f.RunAgainAsync("WO-P1.dat")),
        new("ftp-good-export-on-the-next-tick", "discovered", f => f.AddAndRunAsync("WO-P3.dat", readable: true)),
    ];

    private readonly RedisServer _redis = new();
    private readonly PureFtpServer _ftp = new();
    private DaprTestEnvironment _environment = null!;
    private WebApplicationFactory<maximo::Program> _app = null!;
    private HttpClient _http = null!;

    public static TheoryData<string, string> Table => SourceScenario<MaximoExportCorpusFixture>.Table(Steps);

    public SourceCorpusProbe Probe { get; private set; } = null!;

    public SourceScenario<MaximoExportCorpusFixture> Scenario { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        await _redis.InitializeAsync();
        await _ftp.InitializeAsync();
        _environment = await DaprTestEnvironment.StartAsync(_redis, options =>
        {
            options.Secrets["maximo-export"] = new Dictionary<string, object> { ["password"] = _ftp.Password };
            options.AllowSecrets(DaprNames.AppIds.MaximoConnector, "maximo-export");
            OperatorAccess.Grant(options);
        });
        var sidecar = await _environment.StartSidecarAsync(DaprNames.AppIds.MaximoConnector);
        _app = await sidecar.StartAppAsync<maximo::Program>(new Dictionary<string, string>
        {
            ["Maximo:ExportFolders:0:Name"] = "exports",
            ["Maximo:ExportFolders:0:Folder"] = "/poison",
            ["Maximo:ExportFolders:0:DoneMarkerSuffix"] = ".done",
            ["Maximo:ExportFolders:0:Server:Protocol"] = "Ftp",
            ["Maximo:ExportFolders:0:Server:AllowInsecureFtp"] = "true",
            ["Maximo:ExportFolders:0:Server:Host"] = _ftp.Host,
            ["Maximo:ExportFolders:0:Server:Port"] = _ftp.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Maximo:ExportFolders:0:Server:UserName"] = _ftp.User,
            ["Maximo:ExportFolders:0:Server:Secret"] = "maximo-export",
            ["Connector:RetryBaseDelay"] = "00:00:00.100",
            ["Connector:RetryMaxDelay"] = "00:00:00.500",
        });
        _http = OperatorAccess.Client(_app.ClientOptions.BaseAddress);
        Probe = new SourceCorpusProbe(_environment, sidecar, _http, DaprNames.Bindings.MaximoSchedule);
        Scenario = new SourceScenario<MaximoExportCorpusFixture>(this, Steps);
    }

    /// <summary>Drops a MIF export and its done marker into the folder (mode 000 when not readable) and runs once.</summary>
    private async Task<string> AddAndRunAsync(string fileName, bool readable)
    {
        var path = await _ftp.SeedFileAsync("poison/" + fileName,
            Encoding.UTF8.GetBytes($"\"KMRL-MAXIMO\",\"MXWO_OUT\",\"Replace\",\"EN\"\n\"WONUM\"\n\"{fileName}\"\n"));
        await _ftp.SeedFileAsync("poison/" + fileName + ".done", []);
        if (!readable)
        {
            // pure-ftpd serves as nobody: without read permission RETR answers 550.
            await Shell.RunAsync("chmod", ["000", path], "coreutils");
        }
        var run = await Probe.RunOnceAsync();
        return await DescribeAsync(run, fileName);
    }

    private async Task<string> RunAgainAsync(string fileName)
    {
        var deadLettersBefore = await DeadLettersOfAsync(fileName);
        var run = await Probe.RunOnceAsync();
        var outcome = run["outcome"]!.GetValue<string>();
        if (!string.Equals(outcome, "completed", StringComparison.OrdinalIgnoreCase))
        {
            return "run-failed:" + outcome;
        }
        return await DeadLettersOfAsync(fileName) == deadLettersBefore ? "not-asked-again" : "dead-lettered-again";
    }

    private async Task<int> DeadLettersOfAsync(string fileName) =>
        (await Probe.SourceAsync())?["recentlySkipped"]?.AsArray().Count(s => s?["fileName"]?.GetValue<string>() == fileName) ?? 0;

    private async Task<string> DescribeAsync(System.Text.Json.Nodes.JsonObject run, string fileName)
    {
        var outcome = run["outcome"]!.GetValue<string>();
        if (!string.Equals(outcome, "completed", StringComparison.OrdinalIgnoreCase))
        {
            return "run-failed:" + outcome;
        }
        var skipped = (await Probe.SourceAsync())?["recentlySkipped"]?.AsArray().FirstOrDefault(s => s?["fileName"]?.GetValue<string>() == fileName);
        if (skipped is not null)
        {
            // "FtpCommandException: FTP command 'RETR ...' failed: 550 ..." → dead-lettered:550
            var reason = skipped["reason"]!.GetValue<string>();
            var code = System.Text.RegularExpressions.Regex.Match(reason, @"failed: (\d{3})", System.Text.RegularExpressions.RegexOptions.None, TimeSpan.FromSeconds(1));
            return $"{skipped["kind"]!.GetValue<string>()}:{(code.Success ? code.Groups[1].Value : reason)}:attempts={skipped["attempts"]}";
        }
        var discovered = (await Probe.DiscoveredAsync()).Count(d => d.FileName == fileName);
        return discovered switch
        {
            0 => "missing",
            1 => "discovered",
            _ => $"discovered-{discovered}-times",
        };
    }

    public async Task DisposeAsync()
    {
        await Scenario.Completion;
        _http.Dispose();
        await _app.DisposeAsync();
        await _environment.DisposeAsync();
        await _ftp.DisposeAsync();
        await _redis.DisposeAsync();
    }
}
