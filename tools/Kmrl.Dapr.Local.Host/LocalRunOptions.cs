namespace Kmrl.Dapr.Local.Host;

/// <summary>What <c>kmrl-local</c> was asked to do (see <see cref="Usage"/>).</summary>
internal sealed record LocalRunOptions
{
    public required string Root { get; init; }

    /// <summary>Redis data, logs, demo servers and secrets; default <c>&lt;root&gt;/.data</c>.</summary>
    public required string DataDirectory { get; init; }

    public bool Demo { get; init; }

    /// <summary>Demo: how often the cron bindings fire and a new document arrives.</summary>
    public TimeSpan DemoScheduleInterval { get; init; } = TimeSpan.FromSeconds(30);

    public TimeSpan DemoArrivalInterval { get; init; } = TimeSpan.FromSeconds(60);

    public bool Help { get; init; }

    public const string Usage = """
        kmrl-local: runs every app of dapr.yaml on this machine without Dapr, each beside a sidecar double
        (tools/Kmrl.Dapr.Local) with the repository's components/, resiliency and each app's dapr-config/ Configuration, on a local Redis.

        For trying the system, demos, UI work and end-to-end checks by hand. Production and every deployment use real
        Dapr (`dapr run -f .`, or the k8s/ overlays): the double models daprd, it is not daprd.

        usage: ./build.sh run [--demo] [options]        (builds once, then runs this tool)
               dotnet tools/Kmrl.Dapr.Local.Host/bin/Debug/net10.0/kmrl-local.dll [--demo] [options]

          --demo                    local Dovecot, pure-ftpd, Graph, Entra ID and WhatsApp Cloud API fakes, seeded
                                    KMRL-like documents, all four connectors pointed at them, a new arrival every
                                    minute or so; what the demo servers hold is kept in <data>/demo
          --data DIR                where Redis data, logs and the demo live (default: .data in the repository)
          --demo-schedule SECONDS   demo: every how many seconds the connectors' cron bindings fire (default 30)
          --demo-arrival SECONDS    demo: every how many seconds a new document arrives somewhere (default 60)
          -h, --help                this text

        Ctrl-C (SIGINT) or SIGTERM stops every app, sidecar and server by PID. A second start reuses the data:
        documents, checkpoints and the catalog survive. Without --demo the secret store reads the repository's
        secrets.json (copy secrets.example.json) as `dapr run -f .` would.
        """;

    public static LocalRunOptions Parse(IReadOnlyList<string> args, string root)
    {
        var options = new LocalRunOptions { Root = root, DataDirectory = Path.Combine(root, ".data") };
        for (var i = 0; i < args.Count; i++)
        {
            string Next() => i + 1 < args.Count ? args[++i] : throw new ArgumentException($"{args[i]} needs a value.");
            options = args[i] switch
            {
                "--demo" => options with { Demo = true },
                "--data" => options with { DataDirectory = Path.GetFullPath(Next()) },
                "--demo-schedule" => options with { DemoScheduleInterval = TimeSpan.FromSeconds(Seconds(Next())) },
                "--demo-arrival" => options with { DemoArrivalInterval = TimeSpan.FromSeconds(Seconds(Next())) },
                "-h" or "--help" => options with { Help = true },
                var other => throw new ArgumentException($"Unknown option '{other}'. See --help."),
            };
        }
        return options;
    }

    private static int Seconds(string text) =>
        int.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, out var seconds) && seconds > 0
            ? seconds
            : throw new ArgumentException($"'{text}' is not a positive number of seconds.");
}
