using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Kmrl.Testing.Documents;
using Kmrl.Testing.Servers;
using Xunit.Abstractions;

namespace Kmrl.Dapr.Local.Host.Tests;

/// <summary>
/// The built kmrl-local with --demo, started as a user starts it: its URLs answer, documents from all four connector
/// sources (mail, SharePoint, Maximo export, WhatsApp) and uploads are processed, the sidecars refuse calls without the
/// API token, SIGINT stops every process it started (checked by PID and process group), the demo servers' files are
/// under the data folder, and a second start on the same data finds the same documents. Uses the run file's fixed ports (5100-5104,
/// 3500-3504, 50001-50041), as `dapr run -f .` does: nothing else may hold them while it runs.
/// </summary>
public sealed class LocalRunDemoTests(ITestOutputHelper output)
{
    private static readonly string[] DemoSources = ["email", "sharepoint", "maximo-export", "whatsapp", "upload"];

    [Fact]
    public async Task The_demo_processes_every_source_stops_on_sigint_with_nothing_left_and_a_second_start_finds_the_same_documents()
    {
        using var data = new TempDirectory("local-run");
        HashSet<string> firstIds;
        using (var first = await LocalRun.StartAsync(data.Path, output))
        {
            using var http = first.ApiClient();
            var documents = await WaitAsync(http, items => DemoSources.All(source => items.Any(d => IsProcessed(d) && SourcesOf(d).Contains(source))),
                TimeSpan.FromMinutes(3), "a processed document from each of " + string.Join(", ", DemoSources));

            var uploaded = await UploadAsync(http, TestCorpus.TextPdf("Fire drill at Ernakulam South on Friday: all staff to assemble at gate B."));
            await WaitAsync(http, items => items.Any(d => d["documentId"]!.GetValue<string>() == uploaded && IsProcessed(d)),
                TimeSpan.FromMinutes(2), "the uploaded file processed");
            // The printed status URLs answer the printed key (the connectors' routes need an operator credential).
            foreach (var status in first.StatusUrls())
            {
                using var reply = await http.GetAsync(status);
                Assert.True(reply.IsSuccessStatusCode, $"{status} answered {(int)reply.StatusCode} to the demo key");
            }
            // As daprd with DAPR_API_TOKEN: the sidecars answer only the apps, which have the token (dapr.yaml's daprHTTPPort).
            using (var sidecar = new HttpClient())
            using (var refused = await sidecar.GetAsync("http://127.0.0.1:3500/v1.0/metadata"))
            {
                Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
            }
            firstIds = (await ListAsync(http)).Select(d => d["documentId"]!.GetValue<string>()).ToHashSet();
            Assert.Contains(uploaded, firstIds);
            output.WriteLine($"{firstIds.Count} documents before the stop, sources: {string.Join(", ", documents.SelectMany(SourcesOf).Distinct())}");

            await first.StopWithSigintAsync();
        }
        // The demo servers kept their data in the data folder, not in /tmp: the mailbox, the FTP export folder, the library.
        Assert.True(Directory.Exists(Path.Combine(data.Path, "demo", "imap", "mail", "alice")), "no mailbox under demo/imap");
        Assert.True(File.Exists(Path.Combine(data.Path, "demo", "ftp", "ftp", "exports", "WO-2041.docx")), "no export under demo/ftp");
        Assert.Contains("drawing-list.xlsx", await File.ReadAllTextAsync(Path.Combine(data.Path, "demo", "sharepoint-library.json")), StringComparison.Ordinal);

        using var second = await LocalRun.StartAsync(data.Path, output);
        using (var http = second.ApiClient())
        {
            var again = (await ListAsync(http)).Select(d => d["documentId"]!.GetValue<string>()).ToHashSet();
            Assert.Subset(again, firstIds);
        }
        await second.StopWithSigintAsync();
    }

    private static bool IsProcessed(JsonObject document) => document["status"]?.GetValue<string>() == "processed";

    private static IEnumerable<string> SourcesOf(JsonObject document) =>
        document["provenance"]!.AsArray().Select(p => p!["source"]!.GetValue<string>());

    private static async Task<List<JsonObject>> ListAsync(HttpClient http)
    {
        var page = await http.GetFromJsonAsync<JsonObject>("/documents?pageSize=100");
        return page!["items"]!.AsArray().Select(item => item!.AsObject()).ToList();
    }

    private async Task<List<JsonObject>> WaitAsync(HttpClient http, Func<List<JsonObject>, bool> condition, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        List<JsonObject> items = [];
        while (DateTime.UtcNow < deadline)
        {
            items = await ListAsync(http);
            if (condition(items))
            {
                return items;
            }
            await Task.Delay(1000);
        }
        var seen = string.Join("; ", items.Select(d => $"{d["fileName"]} {d["status"]} [{string.Join(",", SourcesOf(d))}]"));
        output.WriteLine("Seen: " + seen);
        throw new TimeoutException($"No {what} within {timeout.TotalSeconds} s. Seen: {seen}");
    }

    private static async Task<string> UploadAsync(HttpClient http, byte[] pdf)
    {
        using var form = new MultipartFormDataContent();
        var file = new ByteArrayContent(pdf);
        file.Headers.ContentType = MediaTypeHeaderValue.Parse("application/pdf");
        form.Add(file, "file", "fire-drill.pdf");
        var response = await http.PostAsync("/documents", form);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonObject>())!["documents"]![0]!["documentId"]!.GetValue<string>();
    }

    /// <summary>One kmrl-local process: started, read through the run state it writes, stopped with SIGINT.</summary>
    private sealed class LocalRun : IDisposable
    {
        private readonly Process _process;
        private readonly StringBuilder _output = new();
        private readonly ITestOutputHelper _log;

        private LocalRun(Process process, ITestOutputHelper log, string data)
        {
            _process = process;
            _log = log;
            Data = data;
        }

        public string Data { get; }

        public JsonObject State { get; private set; } = [];

        public static async Task<LocalRun> StartAsync(string data, ITestOutputHelper log)
        {
            var startInfo = new ProcessStartInfo("dotnet")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
                WorkingDirectory = Root,
            };
            foreach (var argument in new[] { HostDll, "--demo", "--data", data, "--demo-schedule", "10", "--demo-arrival", "15" })
            {
                startInfo.ArgumentList.Add(argument);
            }
            var process = new Process { StartInfo = startInfo };
            var run = new LocalRun(process, log, data);
            process.OutputDataReceived += (_, e) => run.Append(e.Data);
            process.ErrorDataReceived += (_, e) => run.Append(e.Data);
            process.Start();
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            await run.WaitForReadyAsync(TimeSpan.FromMinutes(4));
            return run;
        }

        public HttpClient ApiClient()
        {
            var http = new HttpClient { BaseAddress = new Uri(State["Urls"]!["API"]!.GetValue<string>()), Timeout = TimeSpan.FromSeconds(60) };
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", State["DemoApiKey"]!.GetValue<string>());
            return http;
        }

        public IEnumerable<Uri> StatusUrls() => State["Urls"]!.AsObject()
            .Where(url => url.Key.EndsWith(" status", StringComparison.Ordinal))
            .Select(url => new Uri(url.Value!.GetValue<string>()));

        /// <summary>SIGINT, as Ctrl-C; then every PID it started is gone, with the process groups of the apps.</summary>
        public async Task StopWithSigintAsync()
        {
            var pids = State["Processes"]!.AsObject().ToDictionary(p => p.Key, p => p.Value!.GetValue<int>());
            Assert.Contains("redis", pids.Keys);
            Assert.Contains("document-api", pids.Keys);
            using (var kill = Process.Start("kill", ["-INT", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
            {
                await kill.WaitForExitAsync();
            }
            using var exited = new CancellationTokenSource(TimeSpan.FromSeconds(90));
            await _process.WaitForExitAsync(exited.Token);
            Assert.Equal(0, _process.ExitCode);
            var left = pids.Where(p => Directory.Exists($"/proc/{p.Value}") || InGroup(p.Value)).Select(p => $"{p.Key} ({p.Value})").ToList();
            Assert.True(left.Count == 0, "Left running: " + string.Join(", ", left));
            Assert.False(File.Exists(Path.Combine(Data, "local", "run.json")));
        }

        public void Dispose()
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }
            _process.Dispose();
        }

        private async Task WaitForReadyAsync(TimeSpan timeout)
        {
            var deadline = DateTime.UtcNow + timeout;
            while (DateTime.UtcNow < deadline)
            {
                if (_process.HasExited)
                {
                    throw new InvalidOperationException($"kmrl-local exited with {_process.ExitCode}:\n{Output}");
                }
                if (Output.Contains("| Ready.", StringComparison.Ordinal) && File.Exists(Path.Combine(Data, "local", "run.json")))
                {
                    State = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(Data, "local", "run.json")))!.AsObject();
                    if (State["Urls"]!.AsObject().Count > 0)
                    {
                        return;
                    }
                }
                await Task.Delay(500);
            }
            throw new TimeoutException("kmrl-local did not print its URLs in time:\n" + Output);
        }

        private string Output
        {
            get { lock (_output) { return _output.ToString(); } }
        }

        private void Append(string? line)
        {
            if (line is null) return;
            lock (_output) { _output.AppendLine(line); }
            // Only the tool's own lines: the apps' are in <data>/logs.
            if (line.StartsWith("kmrl-local", StringComparison.Ordinal))
            {
                try { _log.WriteLine(line); } catch (InvalidOperationException) { }
            }
        }

        // Any process whose process group is the one the runtime started the child in (field 5 of /proc/<pid>/stat).
        private static bool InGroup(int pgid) =>
            Directory.EnumerateDirectories("/proc").Select(Path.GetFileName).Where(name => name!.All(char.IsAsciiDigit)).Any(pid =>
            {
                try
                {
                    var stat = File.ReadAllText($"/proc/{pid}/stat");
                    var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                    return fields[2] == pgid.ToString(System.Globalization.CultureInfo.InvariantCulture);
                }
                catch (IOException)
                {
                    return false;
                }
            });

        private static string Root => Kmrl.Dapr.Local.Host.Tests.Paths.Root;

        // The host built in the same configuration as this test assembly (bin/<Configuration>/net10.0).
        private static string HostDll => Path.Combine(Root, "tools", "Kmrl.Dapr.Local.Host", "bin",
            new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name, "net10.0", "kmrl-local.dll");
    }
}

internal static class Paths
{
    public static string Root { get; } = Find();

    private static string Find()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Kmrl.Dapr.sln")))
            {
                return directory.FullName;
            }
        }
        throw new InvalidOperationException("Kmrl.Dapr.sln not found above " + AppContext.BaseDirectory);
    }
}
