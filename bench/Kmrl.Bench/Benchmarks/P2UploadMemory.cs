using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace Kmrl.Bench.Benchmarks;

/// <summary>
/// P2, upload path: peak RSS growth while one large file streams through POST /documents of the production
/// document-api on the test sidecar, for growing file sizes. The file is generated while it is sent, so the
/// uploader holds no copy of it.
/// </summary>
public sealed class P2UploadMemory : IBenchmark
{
    private const long MiB = 1024 * 1024;
    private const double TargetMiB = 64;
    private const double FlatnessMiB = 16;

    /// <summary>Set in the child process that does the measuring: the file its rows are written to.</summary>
    private const string ChildRowsVariable = "KMRL_BENCH_P2_UPLOAD_ROWS";
    private const string ChildId = "P2-upload-child";

    /// <summary>"P2" in the report; in the measuring child a name only --only can pick, so no other P2 runs there.</summary>
    public string Id => Environment.GetEnvironmentVariable(ChildRowsVariable) is null ? "P2" : ChildId;

    public string Title => "memory, upload path";

    public async Task<IReadOnlyList<BenchResult>> RunAsync(BenchContext context, CancellationToken cancellationToken)
    {
        if (Environment.GetEnvironmentVariable(ChildRowsVariable) is { } rowsFile)
        {
            var measured = await MeasureAsync(context, cancellationToken);
            await File.WriteAllTextAsync(rowsFile, JsonSerializer.Serialize(measured), cancellationToken);
            return measured;
        }
        return await MeasureInChildAsync(context, cancellationToken);
    }

    /// <summary>
    /// The measurement runs in a fresh process of this bench: in this one, the earlier benchmarks' load has grown the
    /// GC's budgets and the same upload showed several times the growth (130-250 MiB after P1 against 30-60 MiB
    /// alone). A fresh process is also what the service is in production.
    /// </summary>
    private async Task<IReadOnlyList<BenchResult>> MeasureInChildAsync(BenchContext context, CancellationToken cancellationToken)
    {
        var rowsFile = Path.Combine(context.Scratch.Path, "p2-upload-rows.json");
        var start = new ProcessStartInfo(Environment.ProcessPath ?? throw new InvalidOperationException("No process path to start the measuring child."))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (Path.GetFileNameWithoutExtension(start.FileName) == "dotnet")
        {
            start.ArgumentList.Add(typeof(P2UploadMemory).Assembly.Location);
        }
        foreach (var argument in (string[])["--only", ChildId, "--out", Path.Combine(context.Scratch.Path, "p2-upload-child.md")])
        {
            start.ArgumentList.Add(argument);
        }
        if (context.Quick)
        {
            start.ArgumentList.Add("--quick");
        }
        start.Environment[ChildRowsVariable] = rowsFile;
        using var child = Process.Start(start) ?? throw new InvalidOperationException("The measuring child did not start.");
        var errors = child.StandardError.ReadToEndAsync(cancellationToken);
        while (await child.StandardOutput.ReadLineAsync(cancellationToken) is { } line)
        {
            if (line.StartsWith("   ", StringComparison.Ordinal))
            {
                context.Log.WriteLine(line);
            }
        }
        await child.WaitForExitAsync(cancellationToken);
        if (child.ExitCode != 0 || !File.Exists(rowsFile))
        {
            var stderr = await errors;
            throw new InvalidOperationException($"The measuring child failed ({child.ExitCode}): {stderr[Math.Max(0, stderr.Length - 2000)..]}");
        }
        return JsonSerializer.Deserialize<List<BenchResult>>(await File.ReadAllTextAsync(rowsFile, cancellationToken))
            ?? throw new InvalidOperationException("The measuring child wrote no rows.");
    }

    private static async Task<IReadOnlyList<BenchResult>> MeasureAsync(BenchContext context, CancellationToken cancellationToken)
    {
        const string Id = "P2";
        long[] sizes = context.Scale<long[]>([128 * MiB, 512 * MiB, 1024 * MiB], [32 * MiB, 128 * MiB]);
        var settings = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            // The default cap (100 MiB) would answer 413; the benchmark is about streaming, not the cap.
            ["DocumentApi:Upload:MaxFileBytes"] = (2048 * MiB).ToString(CultureInfo.InvariantCulture),
        };
        var rows = new List<BenchResult>();
        var growths = new List<(long Size, double GrowthMiB)>();
        await using var host = await DocumentApiHost.StartAsync(context, settings);
        using var http = host.CreateClient(TimeSpan.FromMinutes(15));

        // One small upload first: JIT, connection pool and the API key cache are not the upload path's memory.
        var warmUp = await UploadAsync(http, 1 * MiB, cancellationToken);
        await DocumentApiHost.WaitForFinalStatusAsync(http, warmUp, TimeSpan.FromMilliseconds(250), TimeSpan.FromMinutes(2), cancellationToken);

        foreach (var size in sizes)
        {
            await DocumentApiHost.WaitForQuietAsync(TimeSpan.FromSeconds(90));
            // The previous size's memory would otherwise stay resident (the GC keeps what it committed), and the next
            // upload would reuse it and show no growth: give it back to the OS first.
            GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
            var clock = Stopwatch.StartNew();
            double acceptedGrowth, workflowGrowth, startMiB, peakMiB;
            string status;
            await using (var sampler = RssSampler.Start())
            {
                var documentId = await UploadAsync(http, size, cancellationToken);
                acceptedGrowth = sampler.GrowthBytes / (double)MiB;
                startMiB = sampler.StartBytes / (double)MiB;
                peakMiB = sampler.PeakBytes / (double)MiB;
                var uploadSeconds = clock.Elapsed.TotalSeconds;
                // The workflow copies the blob to a temp file and sniffs its head; random bytes are no supported
                // type, so it is rejected there without being read into memory. Sampling continues until then.
                status = await DocumentApiHost.WaitForFinalStatusAsync(http, documentId, TimeSpan.FromMilliseconds(250), TimeSpan.FromMinutes(10), cancellationToken);
                workflowGrowth = sampler.GrowthBytes / (double)MiB;
                context.Log.WriteLine($"   {size / MiB} MiB: 202 after {uploadSeconds:F1} s, growth {acceptedGrowth:F1} MiB; workflow '{status}' after {clock.Elapsed.TotalSeconds:F1} s, growth {workflowGrowth:F1} MiB");
                rows.Add(new BenchResult(Id, string.Create(CultureInfo.InvariantCulture, $"peak RSS growth, upload of {size / MiB} MiB (MiB)"),
                    Mib(acceptedGrowth), Mib(size / (double)MiB), (acceptedGrowth / (size / (double)MiB)).ToString("F3", CultureInfo.InvariantCulture),
                    "< 64 MiB", acceptedGrowth < TargetMiB,
                    string.Create(CultureInfo.InvariantCulture,
                        $"Measured until the 202 ({uploadSeconds:F1} s, {size / MiB / uploadSeconds:F0} MiB/s; RSS {startMiB:F0} → {peakMiB:F0} MiB). Until the workflow had also copied the blob to a temp file and sniffed it (status {status}: random bytes are no supported type): {workflowGrowth:F1} MiB. RSS of a fresh bench process holding document-api, the Dapr sidecar double and the uploading client: an upper bound of the service's own.")));
            }
            growths.Add((size, acceptedGrowth));
        }

        var smallest = growths[0];
        var largest = growths[^1];
        var spread = largest.GrowthMiB - smallest.GrowthMiB;
        rows.Add(new BenchResult(Id, string.Create(CultureInfo.InvariantCulture, $"flatness: growth at {largest.Size / MiB} MiB vs at {smallest.Size / MiB} MiB"),
            Mib(largest.GrowthMiB), Mib(smallest.GrowthMiB), (largest.GrowthMiB / Math.Max(smallest.GrowthMiB, 1)).ToString("F2", CultureInfo.InvariantCulture),
            string.Create(CultureInfo.InvariantCulture, $"flat: difference < {FlatnessMiB:F0} MiB"), spread < FlatnessMiB,
            string.Create(CultureInfo.InvariantCulture, $"The file grows {largest.Size / smallest.Size}×, the peak by {spread:F1} MiB; the highest growth of all sizes was {growths.Max(g => g.GrowthMiB):F1} MiB. Ratio over at least 1 MiB, so a near-zero smallest growth does not inflate it.")));
        return rows;
    }

    private static string Mib(double value) => value.ToString("F1", CultureInfo.InvariantCulture) + " MiB";

    private static async Task<string> UploadAsync(HttpClient http, long size, CancellationToken cancellationToken)
    {
        await using var content = new GeneratedContentStream(size, (ulong)size);
        using var body = DocumentApiHost.UploadBody(new StreamContent(content, 81920), "site-survey.bin", "application/octet-stream");
        using var response = await http.PostAsync("/documents", body, cancellationToken);
        if (response.StatusCode != System.Net.HttpStatusCode.Accepted)
        {
            throw new InvalidOperationException($"The {size / MiB} MiB upload was answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(cancellationToken)}");
        }
        return await DocumentApiHost.DocumentIdAsync(response, cancellationToken);
    }
}
