namespace Kmrl.Bench;

public sealed record BenchOptions(bool Quick, IReadOnlySet<string> Only, string OutputPath, string CommandLine)
{
    public static BenchOptions Parse(string[] args)
    {
        var quick = false;
        var only = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        string? output = null;
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--quick":
                    quick = true;
                    break;
                case "--only" when i + 1 < args.Length:
                    only.UnionWith(args[++i].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
                    break;
                case "--out" when i + 1 < args.Length:
                    output = args[++i];
                    break;
                default:
                    throw new ArgumentException($"Unknown argument '{args[i]}'. Use --quick, --only P1,P2,R (R: the reliability suite) and --out <file>.");
            }
        }
        // A quick run checks that the benchmarks work; it must not overwrite the reference report.
        output ??= quick ? ".data/benchmarks-quick.md" : "docs/benchmarks.md";
        var command = "./build.sh bench" + (args.Length > 0 ? " " + string.Join(' ', args) : string.Empty);
        return new BenchOptions(quick, only, output, command);
    }
}
