using System.Collections.Concurrent;
using System.Text.Json;
using Kmrl.Dapr.Testing.Components;
using Kmrl.Dapr.Testing.PubSub;
using Kmrl.Testing.Servers;
using StackExchange.Redis;

namespace Kmrl.Dapr.Testing;

/// <summary>
/// The test harness: one Redis, the repository's components, and one <see cref="DaprSidecar"/> per app, the way
/// <c>dapr run -f .</c> pairs daprd with each app. Sidecars of one environment can invoke each other's apps.
/// </summary>
public sealed class DaprTestEnvironment : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, List<DaprSidecar>> _sidecars = new(StringComparer.Ordinal);
    private readonly TempDirectory? _directory;

    private readonly Dictionary<string, ResourceSet> _resources = new(StringComparer.Ordinal);

    private DaprTestEnvironment(ConnectionMultiplexer redis, DaprTestOptions options, TempDirectory? directory, RunLayout layout)
    {
        Redis = redis;
        Options = options;
        _directory = directory;
        Layout = layout;
        Broker = new RedisStreamBroker(redis);
    }

    public IConnectionMultiplexer Redis { get; }

    public DaprTestOptions Options { get; }

    /// <summary>The temp copy of the run files the sidecars read (dapr.yaml, components/, each appDirPath).</summary>
    public RunLayout Layout { get; }

    /// <summary>The resources of the run file's common <c>resourcesPaths</c> (what an app without its own gets).</summary>
    public ResourceSet Resources => ResourcesOf(Layout.DefaultResourcesPaths);

    public RedisStreamBroker Broker { get; }

    /// <summary>
    /// Where the first bindings.localstorage component keeps its files, resolved as daprd resolves its
    /// <c>rootPath</c> from the first app's appDirPath. With the repository's <c>../../.data/blobs</c> that is the copy's
    /// <c>.data/blobs</c>, one folder for every app.
    /// </summary>
    public string BlobRoot
    {
        get
        {
            var app = Layout.Apps.FirstOrDefault() ?? Layout.App("default");
            var blobs = ResourcesOf(app.ResourcesPaths).Components.First(c => c.Type == SupportedComponentTypes.LocalStorage);
            return RunLayout.ResolveComponentPath(app, blobs.Values["rootPath"]);
        }
    }

    /// <summary>The secrets file written from <see cref="DaprTestOptions.Secrets"/>.</summary>
    public string SecretsFile => Path.GetFullPath(Options.SecretsFilePath, Layout.Root);

    public static Task<DaprTestEnvironment> StartAsync(RedisServer redis, Action<DaprTestOptions>? configure = null) =>
        StartAsync(redis.Endpoint, configure);

    /// <summary>An environment on the Redis at <paramref name="redisEndpoint"/> ("host:port").</summary>
    public static async Task<DaprTestEnvironment> StartAsync(string redisEndpoint, Action<DaprTestOptions>? configure = null)
    {
        var options = new DaprTestOptions();
        configure?.Invoke(options);
        if (options.InPlace && (options.FileEdits.Count > 0 || options.ResourcesPath is not null))
        {
            throw new InvalidOperationException("An in-place environment reads the run files as they are: no file edits, no resources path override.");
        }
        var directory = options.InPlace ? null : new TempDirectory("dapr-double");
        RunLayout layout;
        try
        {
            if (directory is null)
            {
                layout = RunLayout.Open(options.RunFile);
            }
            else
            {
                layout = await CopyLayoutAsync(options, directory.Path);
            }
        }
        catch
        {
            directory?.Dispose();
            throw;
        }
        // A loaded 2-core machine can take longer than the client's 5 s default to complete the first handshake.
        var connection = await ConnectionMultiplexer.ConnectAsync(redisEndpoint + ",allowAdmin=true,connectTimeout=20000,connectRetry=5");
        if (!options.InPlace && !options.KeepRedisData)
        {
            // An environment is a fresh deployment: state, streams and locks of an earlier test must not leak into it.
            // One environment at a time per Redis server (xunit runs the tests of a class or collection one by one).
            await connection.GetServer(connection.GetEndPoints()[0]).FlushDatabaseAsync();
        }
        var environment = new DaprTestEnvironment(connection, options, directory, layout);
        // Load (and validate) the resources now, as daprd would at start-up: a malformed file fails here.
        _ = environment.Resources;
        foreach (var app in layout.Apps)
        {
            _ = environment.ResourcesOf(app.ResourcesPaths);
        }
        return environment;
    }

    private static async Task<RunLayout> CopyLayoutAsync(DaprTestOptions options, string target)
    {
        var layout = RunLayout.Copy(options.RunFile, options.ResourcesPath, target);
        foreach (var (relativePath, edit) in options.FileEdits)
        {
            var file = Path.GetFullPath(relativePath, layout.Root);
            var text = File.Exists(file) ? await File.ReadAllTextAsync(file) : string.Empty;
            Directory.CreateDirectory(Path.GetDirectoryName(file)!);
            await File.WriteAllTextAsync(file, edit(text));
        }
        var secrets = Path.GetFullPath(options.SecretsFilePath, layout.Root);
        Directory.CreateDirectory(Path.GetDirectoryName(secrets)!);
        await File.WriteAllTextAsync(secrets, JsonSerializer.Serialize(options.Secrets));
        return layout;
    }

    /// <summary>
    /// Starts a sidecar for <paramref name="appId"/>, from the app's appDirPath in the copy as <c>dapr run -f</c> starts
    /// daprd; throws <see cref="ComponentInitException"/> when a component cannot init, as daprd exits. Give its
    /// endpoints to the app, then call <see cref="DaprSidecar.AttachAppAsync"/>.
    /// </summary>
    public async Task<DaprSidecar> StartSidecarAsync(string appId)
    {
        var app = Layout.App(appId);
        var resources = ResourcesOf(app.ResourcesPaths);
        var sidecar = new DaprSidecar(this, app, resources, ResolveComponents(app, resources));
        await sidecar.StartAsync();
        _sidecars.GetOrAdd(appId, _ => []).Add(sidecar);
        return sidecar;
    }

    /// <summary>An attached sidecar of the app (round robin is not needed by the tests: the first that has an app).</summary>
    internal DaprSidecar? FindApp(string appId) =>
        _sidecars.TryGetValue(appId, out var list) ? list.FirstOrDefault(s => s.AppAddress is not null) : null;

    /// <summary>Every CloudEvent published on a topic so far.</summary>
    public Task<IReadOnlyList<JsonElement>> PublishedAsync(string topic) => Broker.ReadAllAsync(topic);

    /// <summary>Waits until a topic holds at least <paramref name="count"/> events.</summary>
    public async Task<IReadOnlyList<JsonElement>> WaitForPublishedAsync(string topic, int count, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        while (true)
        {
            var events = await PublishedAsync(topic);
            if (events.Count >= count || DateTime.UtcNow > deadline)
            {
                return events;
            }
            await Task.Delay(50);
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var sidecar in _sidecars.Values.SelectMany(list => list))
        {
            await sidecar.DisposeAsync();
        }
        await Redis.CloseAsync();
        Redis.Dispose();
        _directory?.Dispose();
    }

    private ResourceSet ResourcesOf(IReadOnlyList<string> folders)
    {
        var key = string.Join('|', folders);
        lock (_resources)
        {
            if (!_resources.TryGetValue(key, out var set))
            {
                set = ResourceLoader.Load(folders);
                _resources[key] = set;
            }
            return set;
        }
    }

    private IReadOnlyList<ComponentSpec> ResolveComponents(RunApp app, ResourceSet resources)
    {
        var appId = app.AppId;
        var visible = resources.Components.Where(c => c.Scopes.Count == 0 || c.Scopes.Contains(appId)).ToList();
        var secretFiles = new Dictionary<string, Runtime.LocalFileSecretStore>(StringComparer.Ordinal);
        var specs = new List<ComponentSpec>();
        // Secret stores first: other components' secretKeyRefs resolve through them, as in daprd.
        foreach (var raw in visible.OrderBy(c => c.Type.StartsWith("secretstores.", StringComparison.Ordinal) ? 0 : 1))
        {
            var metadata = new Dictionary<string, string>(raw.Values, StringComparer.Ordinal);
            ApplyEnvironment(app, raw, metadata);
            foreach (var (key, reference) in raw.SecretRefs)
            {
                var storeName = raw.AuthSecretStore
                    ?? throw new InvalidOperationException($"{raw.SourceFile}: '{raw.Name}' uses secretKeyRef without auth.secretStore.");
                if (!secretFiles.TryGetValue(storeName, out var store))
                {
                    throw new InvalidOperationException($"{raw.SourceFile}: secret store '{storeName}' of '{raw.Name}' is not loaded for '{appId}'.");
                }
                // dapr pkg/runtime/processor/secret/secret.go ProcessResource: GetSecret(name), then the key (the name when
                // no key is given); a missing secret or an empty value is logged and the field is left out, not an error.
                if (store.GetSecret(reference.Name) is { } secret && secret.TryGetValue(reference.Key, out var value) && value.Length > 0)
                {
                    metadata[key] = value;
                }
                else
                {
                    Options.Log?.Invoke($"{raw.Name}: secretKeyRef {reference.Name}/{reference.Key} not found in '{storeName}'; '{key}' is left unset (as daprd does).");
                }
            }
            var spec = new ComponentSpec(raw.Name, raw.Type, raw.Version, metadata, raw.Scopes, raw.SourceFile);
            if (raw.Type == SupportedComponentTypes.LocalFileSecrets)
            {
                secretFiles[raw.Name] = new Runtime.LocalFileSecretStore(spec, app.AppDirPath);
            }
            specs.Add(spec);
        }
        return specs;
    }

    /// <summary>
    /// What daprd would do with the YAML on this machine: file paths resolved from the app's appDirPath (daprd's
    /// working directory) and required to exist where the component opens them at init; Redis hosts pointed at the
    /// test Redis (a host, not a path: the one redirect, stated in the README); then test overrides.
    /// </summary>
    private void ApplyEnvironment(RunApp app, RawComponent raw, Dictionary<string, string> metadata)
    {
        var redisEndpoint = Redis.GetEndPoints()[0].ToString()!.Replace("Unspecified/", string.Empty, StringComparison.Ordinal);
        if (Options.MetadataOverrides.TryGetValue(raw.Name, out var overrides))
        {
            foreach (var (key, value) in overrides)
            {
                metadata[key] = value;
            }
        }
        switch (raw.Type)
        {
            case SupportedComponentTypes.StateRedis or SupportedComponentTypes.PubSubRedis or SupportedComponentTypes.LockRedis:
                metadata["redisHost"] = redisEndpoint;
                break;
            case SupportedComponentTypes.LocalStorage:
                // localstorage.go validateRootPath: required; a relative rootPath is joined to os.Getwd(); Init then
                // creates it (MkdirAll).
                var rootPath = metadata.GetValueOrDefault("rootPath");
                if (string.IsNullOrEmpty(rootPath))
                {
                    throw new ComponentInitException(app.AppId, raw, "failed to parse metadata: property rootPath must not be empty");
                }
                metadata["rootPath"] = RunLayout.ResolveComponentPath(app, rootPath);
                break;
            case SupportedComponentTypes.LocalFileSecrets:
                // filestore.go: os.Open(secretsFile) at init, relative to daprd's working directory.
                var written = metadata.GetValueOrDefault("secretsFile");
                if (string.IsNullOrEmpty(written))
                {
                    throw new ComponentInitException(app.AppId, raw, "missing local secrets file in metadata");
                }
                var file = RunLayout.ResolveComponentPath(app, written);
                if (!File.Exists(file))
                {
                    throw new ComponentInitException(app.AppId, raw, $"open {written}: no such file or directory");
                }
                metadata["secretsFile"] = file;
                break;
        }
    }
}
