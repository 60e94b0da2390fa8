using YamlDotNet.Serialization;

namespace Kmrl.Dapr.Testing.Components;

/// <summary>
/// One app of a multi-app run file: its id, the folder daprd and the app run in, its resources folders and the copy of
/// the sidecar Configuration file it is started with (<c>configFilePath</c>), if any.
/// </summary>
public sealed record RunApp(string AppId, string AppDirPath, IReadOnlyList<string> ResourcesPaths, string? ConfigFilePath = null)
{
    /// <summary>What the run file says about starting the app and its daprd (ports, command, env), for the local runtime.</summary>
    public RunSettings Settings { get; init; } = RunSettings.None;
}

/// <summary>
/// An app's <c>appPort</c>, <c>daprHTTPPort</c>, <c>daprGRPCPort</c> (0 when not given: the CLI then picks free ones),
/// <c>command</c> and <c>env</c> (common's, then the app's own, as dapr/cli pkg/runfileconfig merges them).
/// </summary>
public sealed record RunSettings(int AppPort, int DaprHttpPort, int DaprGrpcPort, IReadOnlyList<string> Command, IReadOnlyDictionary<string, string> Env)
{
    public static RunSettings None { get; } = new(0, 0, 0, [], new Dictionary<string, string>());
}

/// <summary>
/// A temp copy of the repository's run files (dapr.yaml, the resources folders it names, each app's appDirPath), laid
/// out so that every relative path means what it means under <c>dapr run -f .</c>:
/// <list type="bullet">
/// <item>the run file's own paths (<c>common.resourcesPaths</c>, <c>appDirPath</c>) are resolved from the run file's folder,
/// an app's own <c>resourcesPaths</c> from its <c>appDirPath</c>, with the precedence app &gt; <c>appDirPath/.dapr/resources</c>
/// &gt; common (dapr/cli v1.16.0 pkg/runfileconfig/run_file_config_parser.go <c>validateRunConfig</c>,
/// <c>resolveResourcesFilePath</c>), and an app's <c>configFilePath</c> likewise from its <c>appDirPath</c>, with the
/// precedence app &gt; <c>appDirPath/.dapr/config.yaml</c> &gt; common (<c>resolveConfigFilePath</c>);</item>
/// <item>daprd is started with its working directory set to <c>appDirPath</c> (dapr/cli v1.16.0 cmd/run.go
/// <c>startDaprdAndAppProcesses</c>: <c>daprCMD.Command.Dir = commandDir</c>), so a component's relative file path is
/// resolved from there (<see cref="ResolveComponentPath"/>).</item>
/// </list>
/// </summary>
public sealed class RunLayout
{
    private readonly Dictionary<string, RunApp> _apps;

    private RunLayout(string root, Dictionary<string, RunApp> apps, IReadOnlyList<string> defaultResources, string? defaultConfigFile = null)
    {
        Root = root;
        _apps = apps;
        DefaultResourcesPaths = defaultResources;
        DefaultConfigFilePath = defaultConfigFile;
    }

    /// <summary>The copy of <c>common.configFilePath</c>: the Configuration of an app without its own.</summary>
    public string? DefaultConfigFilePath { get; }

    /// <summary>The copy's root: the folder <c>dapr run -f .</c> is started from (the repository root).</summary>
    public string Root { get; }

    public IReadOnlyCollection<RunApp> Apps => _apps.Values;

    /// <summary>Resources of an app id the run file does not list (as <c>dapr run --resources-path</c> from <see cref="Root"/>).</summary>
    public IReadOnlyList<string> DefaultResourcesPaths { get; }

    /// <summary>
    /// The app as the CLI would start it. An app id the run file does not list is run as <c>dapr run --app-id</c>
    /// from the root would run it: working directory <see cref="Root"/>, the default resources.
    /// </summary>
    public RunApp App(string appId) =>
        _apps.TryGetValue(appId, out var app) ? app : new RunApp(appId, Root, DefaultResourcesPaths, DefaultConfigFilePath);

    /// <summary>
    /// A component's file path as daprd opens it: relative to its working directory, the app's <c>appDirPath</c>
    /// (components-contrib v1.16.13 secretstores/local/file/filestore.go <c>os.Open(secretsFile)</c>;
    /// bindings/localstorage/localstorage.go makes a relative <c>rootPath</c> absolute with <c>os.Getwd()</c>).
    /// </summary>
    public static string ResolveComponentPath(RunApp app, string path) => Path.GetFullPath(path, app.AppDirPath);

    /// <summary>
    /// Copies <paramref name="runFile"/> and what it names into <paramref name="target"/>. With
    /// <paramref name="resourcesPathOverride"/> (a single-app <c>dapr run --resources-path</c>), that folder is copied
    /// instead and every app runs from the root.
    /// </summary>
    public static RunLayout Copy(string runFile, string? resourcesPathOverride, string target) =>
        Read(runFile, resourcesPathOverride, target);

    /// <summary>
    /// The run file's layout where it is, as <c>dapr run -f</c> reads it: nothing is copied, every path is the
    /// repository's own (the local runtime, whose data is meant to stay).
    /// </summary>
    public static RunLayout Open(string runFile) => Read(runFile, null, null);

    private static RunLayout Read(string runFile, string? resourcesPathOverride, string? copyTo)
    {
        var sourceRoot = Path.GetDirectoryName(Path.GetFullPath(runFile))!;
        var target = copyTo ?? sourceRoot;
        var apps = new Dictionary<string, RunApp>(StringComparer.Ordinal);
        if (resourcesPathOverride is not null)
        {
            var copied = CopyFolder(sourceRoot, Path.GetFullPath(resourcesPathOverride, sourceRoot), target);
            return new RunLayout(target, apps, [copied]);
        }

        if (copyTo is not null)
        {
            File.Copy(runFile, Path.Combine(target, Path.GetFileName(runFile)));
        }
        var document = new DeserializerBuilder().Build().Deserialize<Dictionary<object, object>>(File.ReadAllText(runFile))
            ?? throw new InvalidOperationException($"{runFile} is empty.");
        var common = Map(document, "common");
        var commonResources = Strings(common, "resourcesPaths").Concat(Strings(common, "resourcesPath"))
            .Select(path => CopyFolder(sourceRoot, Path.GetFullPath(path, sourceRoot), target))
            .ToList();
        // The run file's own paths are resolved from its folder, an app's own from its appDirPath (as resourcesPaths).
        var commonConfig = Str(common, "configFilePath") is { Length: > 0 } commonConfigPath
            ? CopyFile(sourceRoot, Path.GetFullPath(commonConfigPath, sourceRoot), target)
            : null;
        foreach (var item in List(document, "apps").OfType<Dictionary<object, object>>())
        {
            var appDir = Str(item, "appDirPath") ?? throw new InvalidOperationException($"{runFile}: an app without appDirPath.");
            var sourceAppDir = Path.GetFullPath(appDir, sourceRoot);
            var copiedAppDir = copyTo is null ? sourceAppDir : Path.Combine(target, Relative(sourceRoot, sourceAppDir));
            // Only the folder itself: the app's sources are not needed, and a file left in it (say a secrets.json)
            // must not make a path that is wrong for a fresh clone work in the copy.
            Directory.CreateDirectory(copiedAppDir);
            var appId = Str(item, "appID") ?? new DirectoryInfo(sourceAppDir).Name;
            var ownResources = Strings(item, "resourcesPaths").Concat(Strings(item, "resourcesPath"))
                .Select(path => CopyFolder(sourceRoot, Path.GetFullPath(path, sourceAppDir), target))
                .ToList();
            var local = Path.Combine(sourceAppDir, ".dapr", "resources");
            IReadOnlyList<string> resources = ownResources.Count > 0 ? ownResources
                : Directory.Exists(local) ? [CopyFolder(sourceRoot, local, target)]
                : commonResources;
            // Precedence app configFilePath > appDirPath/.dapr/config.yaml > common (resolveConfigFilePath).
            var localConfig = Path.Combine(sourceAppDir, ".dapr", "config.yaml");
            var config = Str(item, "configFilePath") is { Length: > 0 } ownConfig
                ? CopyFile(sourceRoot, Path.GetFullPath(ownConfig, sourceAppDir), target)
                : File.Exists(localConfig) ? CopyFile(sourceRoot, localConfig, target)
                : commonConfig;
            var env = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var (key, value) in Map(common, "env").Concat(Map(item, "env")))
            {
                env[key.ToString()!] = value?.ToString() ?? string.Empty;
            }
            apps[appId] = new RunApp(appId, copiedAppDir, resources, config)
            {
                Settings = new RunSettings(Int(item, "appPort"), Int(item, "daprHTTPPort"), Int(item, "daprGRPCPort"), Strings(item, "command").ToList(), env),
            };
        }
        return new RunLayout(target, apps, commonResources, commonConfig);
    }

    private static string CopyFolder(string sourceRoot, string source, string target)
    {
        if (!Directory.Exists(source))
        {
            // The CLI validates every path of the run file before starting anything (utils.ValidateFilePath).
            throw new DirectoryNotFoundException($"error in resolving resources path: {source} does not exist");
        }
        if (target == sourceRoot)
        {
            return source; // read in place
        }
        var copy = Path.Combine(target, Relative(sourceRoot, source));
        Directory.CreateDirectory(copy);
        foreach (var file in Directory.EnumerateFiles(source))
        {
            File.Copy(file, Path.Combine(copy, Path.GetFileName(file)), overwrite: true);
        }
        return copy;
    }

    private static string CopyFile(string sourceRoot, string source, string target)
    {
        if (!File.Exists(source))
        {
            throw new FileNotFoundException($"error in resolving config file path: {source} does not exist", source);
        }
        if (target == sourceRoot)
        {
            return source;
        }
        var copy = Path.Combine(target, Relative(sourceRoot, source));
        Directory.CreateDirectory(Path.GetDirectoryName(copy)!);
        File.Copy(source, copy, overwrite: true);
        return copy;
    }

    private static string Relative(string sourceRoot, string path)
    {
        var relative = Path.GetRelativePath(sourceRoot, path);
        // A folder outside the repository keeps its place relative to it inside the copy's own "outside" folder.
        return relative.StartsWith("..", StringComparison.Ordinal) || Path.IsPathRooted(relative)
            ? Path.Combine("_outside", Path.GetFileName(path.TrimEnd(Path.DirectorySeparatorChar)))
            : relative;
    }

    private static Dictionary<object, object> Map(Dictionary<object, object> d, string key) =>
        d.TryGetValue(key, out var v) && v is Dictionary<object, object> m ? m : [];

    private static List<object> List(Dictionary<object, object> d, string key) =>
        d.TryGetValue(key, out var v) && v is List<object> l ? l : [];

    private static IEnumerable<string> Strings(Dictionary<object, object> d, string key) =>
        d.TryGetValue(key, out var v) ? v switch
        {
            List<object> l => l.Select(x => x.ToString()!),
            string s when s.Length > 0 => [s],
            _ => [],
        } : [];

    private static int Int(Dictionary<object, object> d, string key) =>
        d.TryGetValue(key, out var v) && int.TryParse(v?.ToString(), System.Globalization.CultureInfo.InvariantCulture, out var n) ? n : 0;

    private static string? Str(Dictionary<object, object> d, string key) =>
        d.TryGetValue(key, out var v) && v is not null ? v.ToString() : null;
}
