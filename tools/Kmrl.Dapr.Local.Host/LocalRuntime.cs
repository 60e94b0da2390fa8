using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.RegularExpressions;
using Kmrl.Contracts;
using Kmrl.Dapr.Testing;
using Kmrl.Dapr.Testing.Components;
using Kmrl.Testing.Servers;

namespace Kmrl.Dapr.Local.Host;

/// <summary>What a local run started, by PID: written to <c>&lt;data&gt;/local/run.json</c> while it runs.</summary>
internal sealed record RunState(int HostPid, IReadOnlyDictionary<string, int> Processes, IReadOnlyDictionary<string, string> Urls, string? DemoApiKey);

/// <summary>
/// The local runtime, in the order <c>dapr run -f .</c> keeps: a Redis, then per app of the run file a sidecar on the
/// app's daprd ports and the app's own command in its appDirPath with the environment the CLI gives it; each app is
/// attached once its port answers. Stopping goes the other way: apps (by process group), sidecars, servers, Redis.
/// </summary>
internal sealed partial class LocalRuntime(LocalRunOptions options, LogSink log)
{
    private readonly List<ChildProcess> _apps = [];
    private ChildProcess? _redis;
    private DaprTestEnvironment? _environment;
    private DemoSources? _demo;

    private string StateFile => Path.Combine(options.DataDirectory, "local", "run.json");

    public async Task<int> RunAsync(CancellationToken stopping)
    {
        RefuseSecondRun();
        try
        {
            await StartAsync(stopping);
            await Task.Delay(Timeout.Infinite, stopping).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            log.Info("Stopping: apps, sidecars, servers, Redis.");
            return 0;
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            log.Info("Failed: " + exception.Message);
            return 1;
        }
        finally
        {
            await StopAsync();
        }
    }

    private async Task StartAsync(CancellationToken stopping)
    {
        var layout = RunLayout.Open(Path.Combine(options.Root, "dapr.yaml"));
        CheckPortsFree(layout);
        if (!options.Demo && !File.Exists(Path.Combine(options.Root, "secrets.json")))
        {
            throw new InvalidOperationException(
                $"{Path.Combine(options.Root, "secrets.json")} is missing: the secret store reads it, as under `dapr run -f .`. Copy secrets.example.json to secrets.json and fill it in, or try ./build.sh run --demo.");
        }

        var redisPort = FreePort.Next();
        var redisData = Directory.CreateDirectory(Path.Combine(options.DataDirectory, "redis")).FullName;
        // Persistent: the append-only file (fsync every second) and RDB snapshots, in .data/redis, so a second start
        // finds the catalog, checkpoints and streams; SIGTERM makes Redis write both before it exits.
        _redis = ChildProcess.Start("redis", [ServerProcess.FindBinary("redis-server", "redis-server"),
            "--bind", "127.0.0.1", "--port", redisPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--dir", redisData, "--appendonly", "yes", "--appendfsync", "everysec", "--save", "60 1", "--daemonize", "no"],
            redisData, new Dictionary<string, string>(), log);
        await WaitForPortAsync(_redis, redisPort, TimeSpan.FromSeconds(30), stopping);
        WriteState(new Dictionary<string, string>(), null);

        var appToken = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));
        var daprToken = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));
        var secretsFile = Path.Combine(options.Root, "secrets.json");
        var appSettings = new Dictionary<string, Dictionary<string, string>>(StringComparer.Ordinal);
        var allowedSecrets = new Dictionary<string, string[]>(StringComparer.Ordinal);
        IReadOnlyDictionary<string, Dictionary<string, string>> demoOverrides = new Dictionary<string, Dictionary<string, string>>();
        if (options.Demo)
        {
            _demo = new DemoSources(options, log);
            var prepared = await _demo.StartAsync(stopping);
            secretsFile = prepared.SecretsFile;
            appSettings = prepared.AppSettings;
            allowedSecrets = prepared.AllowedSecrets;
            demoOverrides = prepared.ComponentOverrides;
        }

        _environment = await DaprTestEnvironment.StartAsync($"127.0.0.1:{redisPort}", o =>
        {
            o.InPlace = true;
            o.CronRealTime = true;
            o.AppApiToken = appToken;
            // As daprd with DAPR_API_TOKEN: every API call of an app must carry it (the apps get it in their environment).
            o.DaprApiToken = daprToken;
            o.Log = RouteSidecarLine;
            foreach (var (appId, names) in allowedSecrets)
            {
                o.AllowSecrets(appId, names);
                log.Info($"demo: {appId} may also read {string.Join(", ", names)} (its demo source's secret, added to its Configuration's scope)");
            }
        });
        ApplyOverrides(_environment, secretsFile, demoOverrides);

        var started = new List<(RunApp App, DaprSidecar Sidecar, ChildProcess Process)>();
        foreach (var app in layout.Apps)
        {
            var sidecar = await _environment.StartSidecarAsync(app.AppId);
            var environment = AppEnvironment(app, sidecar, appToken, daprToken, appSettings.GetValueOrDefault(app.AppId));
            var process = ChildProcess.Start(app.AppId, app.Settings.Command, app.AppDirPath, environment, log);
            _apps.Add(process);
            started.Add((app, sidecar, process));
            log.Info($"{app.AppId}: sidecar gRPC {sidecar.GrpcEndpoint}, HTTP {sidecar.HttpEndpoint}; app pid {process.Pid} on port {app.Settings.AppPort}");
        }
        WriteState(new Dictionary<string, string>(), null);
        await Task.WhenAll(started.Select(async s =>
        {
            await WaitForPortAsync(s.Process, s.App.Settings.AppPort, TimeSpan.FromMinutes(3), stopping);
            await s.Sidecar.AttachAppAsync(new Uri($"http://127.0.0.1:{s.App.Settings.AppPort}/"));
        }));

        var urls = Urls(layout);
        WriteState(urls, _demo?.ApiKey);
        log.Info("Ready. Production and deployments use real Dapr; this is the local runtime.");
        foreach (var (name, url) in urls)
        {
            log.Info($"  {name,-28} {url}");
        }
        if (_demo is not null)
        {
            log.Info($"  demo API key                 {_demo.ApiKey}   (in {_demo.SecretsFile})");
            log.Info($"  demo mail                    {_demo.MailFolder}   (every mail (.eml) and webhook post (.json) of the notifications service)");
            log.Info($"  try: curl -H 'Authorization: Bearer {_demo.ApiKey}' -F 'file=@README.md;type=text/plain' {urls["API"]}/documents");
            _demo.ApiBase = new Uri(urls["API"] + "/");
            _demo.WhatsAppBase = new Uri(urls[DaprNames.AppIds.WhatsAppConnector + " status"].Replace("/connector/status", "/", StringComparison.Ordinal));
            await _demo.SeedUploadsAsync(stopping);
            _demo.StartArrivals(stopping);
        }
    }

    private async Task StopAsync()
    {
        // Apps first (their sidecars still answer while they drain), then the sidecars, the demo servers, Redis.
        await Task.WhenAll(_apps.Select(app => app.StopAsync(TimeSpan.FromSeconds(15))));
        foreach (var app in _apps)
        {
            await app.DisposeAsync();
        }
        if (_environment is not null)
        {
            await _environment.DisposeAsync();
        }
        if (_demo is not null)
        {
            await _demo.DisposeAsync();
        }
        if (_redis is not null)
        {
            await _redis.StopAsync(TimeSpan.FromSeconds(20));
            await _redis.DisposeAsync();
        }
        if (File.Exists(StateFile))
        {
            File.Delete(StateFile);
        }
        log.Info("Stopped; nothing left running.");
    }

    /// <summary>
    /// The environment the dapr CLI gives an app (dapr/cli pkg/standalone/run.go getEnv: APP_ID, APP_PORT,
    /// APP_PROTOCOL, DAPR_HTTP_PORT, DAPR_GRPC_PORT, then the run file's env), plus the endpoints the SDKs prefer and
    /// the two tokens (DAPR_API_TOKEN for calls to the sidecar, APP_API_TOKEN for the sidecar's calls to the app).
    /// </summary>
    private static Dictionary<string, string> AppEnvironment(RunApp app, DaprSidecar sidecar, string appToken, string daprToken,
        IReadOnlyDictionary<string, string>? extra)
    {
        var environment = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["APP_ID"] = app.AppId,
            ["APP_PORT"] = Invariant(app.Settings.AppPort),
            ["APP_PROTOCOL"] = "http",
            ["DAPR_HTTP_PORT"] = new Uri(sidecar.HttpEndpoint).Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["DAPR_GRPC_PORT"] = new Uri(sidecar.GrpcEndpoint).Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["DAPR_HTTP_ENDPOINT"] = sidecar.HttpEndpoint,
            ["DAPR_GRPC_ENDPOINT"] = sidecar.GrpcEndpoint,
            ["DAPR_API_TOKEN"] = daprToken,
            ["APP_API_TOKEN"] = appToken,
        };
        foreach (var (key, value) in app.Settings.Env.Concat(extra ?? new Dictionary<string, string>()))
        {
            environment[key] = value;
        }
        return environment;
    }

    /// <summary>
    /// The double's metadata substitution, so that nothing of components/ is edited: the Redis hosts already point at
    /// the local Redis (the double's one redirect); the secret store reads the demo's secrets file in a demo; the blob
    /// store keeps its files under --data when that is not the repository's .data; demo schedules are short; the
    /// notification bindings send to the demo's mail and webhook catchers.
    /// </summary>
    private void ApplyOverrides(DaprTestEnvironment environment, string secretsFile, IReadOnlyDictionary<string, Dictionary<string, string>> demoOverrides)
    {
        foreach (var component in environment.Resources.Components)
        {
            var overrides = new Dictionary<string, string>(demoOverrides.GetValueOrDefault(component.Name) ?? new Dictionary<string, string>(), StringComparer.Ordinal);
            if (component.Type == SupportedComponentTypes.LocalFileSecrets && options.Demo)
            {
                overrides["secretsFile"] = secretsFile;
            }
            if (component.Type == SupportedComponentTypes.LocalStorage
                && Path.GetFullPath(options.DataDirectory) != Path.GetFullPath(Path.Combine(options.Root, ".data")))
            {
                overrides["rootPath"] = Path.Combine(options.DataDirectory, component.Name == DaprNames.Components.BlobStore ? "blobs" : component.Name);
            }
            if (component.Type == SupportedComponentTypes.Cron && options.Demo)
            {
                overrides["schedule"] = "@every " + Invariant((int)options.DemoScheduleInterval.TotalSeconds) + "s";
            }
            if (overrides.Count > 0)
            {
                environment.Options.MetadataOverrides[component.Name] = overrides;
            }
        }
    }

    private static Dictionary<string, string> Urls(RunLayout layout)
    {
        var urls = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var app in layout.Apps)
        {
            var root = "http://localhost:" + Invariant(app.Settings.AppPort);
            if (app.AppId == DaprNames.AppIds.DocumentApi)
            {
                urls["API"] = root;
                urls["OpenAPI"] = root + "/openapi/v1.json";
                urls["API health"] = root + "/health";
            }
            else if (app.AppId == DaprNames.AppIds.Notifications)
            {
                // No operator routes: its sends are in its log, the mail catcher and the webhook listener.
                urls["notifications health"] = root + "/health";
            }
            else
            {
                urls[app.AppId + " status"] = root + "/connector/status";
            }
        }
        return urls;
    }

    // The double logs "[daprd <app-id> <level>] message": each sidecar's lines go under "<app-id>.daprd".
    private void RouteSidecarLine(string line)
    {
        var match = SidecarLine().Match(line);
        log.Write(match.Success ? match.Groups[1].Value + ".daprd" : "daprd", line);
    }

    [GeneratedRegex(@"^\[daprd (\S+) ", RegexOptions.None, matchTimeoutMilliseconds: 1000)]
    private static partial Regex SidecarLine();

    private static void CheckPortsFree(RunLayout layout)
    {
        foreach (var app in layout.Apps)
        {
            foreach (var (name, port) in new[] { ("appPort", app.Settings.AppPort), ("daprHTTPPort", app.Settings.DaprHttpPort), ("daprGRPCPort", app.Settings.DaprGrpcPort) })
            {
                if (port <= 0)
                {
                    continue;
                }
                try
                {
                    var listener = new TcpListener(IPAddress.Loopback, port);
                    listener.Start();
                    listener.Stop();
                }
                catch (SocketException)
                {
                    // As the CLI's validatePort: "Port N is not available".
                    throw new InvalidOperationException($"{app.AppId}: {name} {port} of dapr.yaml is not available (another run, or `dapr run -f .`, holds it).");
                }
            }
        }
    }

    private static async Task WaitForPortAsync(ChildProcess process, int port, TimeSpan timeout, CancellationToken stopping)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            stopping.ThrowIfCancellationRequested();
            if (process.HasExited)
            {
                throw new InvalidOperationException($"{process.Name} exited with code {process.ExitCode} before listening on port {port} (see its log in .data/logs/{process.Name}.log).");
            }
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, port, stopping);
                return;
            }
            catch (SocketException)
            {
                await Task.Delay(200, stopping);
            }
        }
        throw new TimeoutException($"{process.Name} did not listen on port {port} within {timeout.TotalSeconds} s.");
    }

    private void RefuseSecondRun()
    {
        if (!File.Exists(StateFile))
        {
            return;
        }
        var previous = JsonSerializer.Deserialize<RunState>(File.ReadAllText(StateFile));
        if (previous is not null && Signals.IsAlive(previous.HostPid))
        {
            throw new InvalidOperationException($"Another local run (pid {previous.HostPid}) uses {options.DataDirectory}; stop it first.");
        }
        // A run killed with SIGKILL left its children: stop what is still there, by the PIDs it wrote.
        foreach (var (name, pid) in previous?.Processes ?? new Dictionary<string, int>())
        {
            if (Signals.GroupIsAlive(pid))
            {
                log.Info($"Stopping {name} (pid {pid}) left by an earlier run.");
                Signals.SendToGroup(pid, Signals.Kill);
            }
        }
    }

    private void WriteState(IReadOnlyDictionary<string, string> urls, string? apiKey)
    {
        var processes = new Dictionary<string, int>(StringComparer.Ordinal);
        if (_redis is not null)
        {
            processes["redis"] = _redis.Pid;
        }
        foreach (var app in _apps)
        {
            processes[app.Name] = app.Pid;
        }
        foreach (var (name, pid) in _demo?.Processes ?? [])
        {
            processes[name] = pid;
        }
        Directory.CreateDirectory(Path.GetDirectoryName(StateFile)!);
        File.WriteAllText(StateFile, JsonSerializer.Serialize(new RunState(Environment.ProcessId, processes, urls, apiKey)));
    }

    private static string Invariant(int value) => value.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
