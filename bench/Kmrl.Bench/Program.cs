using System.Diagnostics;
using Kmrl.Bench;
using Kmrl.Testing.Servers;

// ./build.sh bench [--quick] [--only P1,P5] [--out docs/benchmarks.md]
var options = BenchOptions.Parse(args);
var benchmarks = typeof(IBenchmark).Assembly.GetTypes()
    .Where(type => type is { IsClass: true, IsAbstract: false } && typeof(IBenchmark).IsAssignableFrom(type))
    .Select(type => (IBenchmark)Activator.CreateInstance(type)!)
    .Where(benchmark => options.Only.Count == 0 || options.Only.Contains(benchmark.Id))
    .OrderBy(benchmark => benchmark.Id, StringComparer.Ordinal)
    .ToList();
var runReliability = options.Only.Count == 0 || options.Only.Contains("R");
if (benchmarks.Count == 0 && !runReliability)
{
    Console.Error.WriteLine("No benchmark matches --only.");
    return 2;
}

using var scratch = new TempDirectory("kmrl-bench");
var redis = new RedisServer();
await redis.InitializeAsync();
var context = new BenchContext(options.Quick, scratch, redis, Console.Out);
var sections = new List<BenchSection>();
var failed = false;
try
{
    foreach (var benchmark in benchmarks)
    {
        Console.WriteLine($"== {benchmark.Id} {benchmark.Title}");
        var clock = Stopwatch.StartNew();
        try
        {
            var results = await benchmark.RunAsync(context, CancellationToken.None);
            sections.Add(new BenchSection(benchmark.Id, benchmark.Title, results, clock.Elapsed, Error: null));
            foreach (var row in results)
            {
                Console.WriteLine($"   {row.Measure}: ours {row.Ours}, baseline {row.Baseline}, ratio {row.Ratio} (target {row.Target})");
            }
        }
        catch (Exception exception)
        {
            // One broken benchmark must not hide the others' figures; the report and the exit code say it failed.
            failed = true;
            Console.Error.WriteLine(exception);
            sections.Add(new BenchSection(benchmark.Id, benchmark.Title, [], clock.Elapsed, exception.Message));
        }
    }
}
finally
{
    await redis.DisposeAsync();
}

ReliabilityOutcome? reliability = null;
if (runReliability)
{
    Console.WriteLine("== R1-R5 reliability suite");
    reliability = await ReliabilitySuite.RunAsync(options.Quick, scratch.Path, Console.Out, CancellationToken.None);
    failed |= reliability.Failed > 0;
}

var report = BenchReport.Render(sections, reliability, options, MachineInfo.Describe());
Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(options.OutputPath))!);
await File.WriteAllTextAsync(options.OutputPath, report);
Console.WriteLine(report);
Console.WriteLine($"Report written to {options.OutputPath}");
return failed ? 1 : 0;
