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
    private readonly TempDirectory _directory = new("dapr-double");

    private DaprTestEnvironment(ConnectionMultiplexer redis, DaprTestOptions options, ResourceSet resources)
    {
        Redis = redis;
        Options = options;
        Resources = resources;
        Broker = new RedisStreamBroker(redis);
    }

    public IConnectionMultiplexer Redis { get; }

    public DaprTestOptions Options { get; }

    public ResourceSet Resources { get; }

    public RedisStreamBroker Broker { get; }

    /// <summary>Where bindings.localstorage components keep their files in this environment.</summary>
    public string BlobRoot => _directory.Combine("blobs");

    public string SecretsFile => _directory.Combine("secrets.json");

    public static async Task<DaprTestEnvironment> StartAsync(RedisServer redis, Action<DaprTestOptions>? configure = null)
    {
        var options = new DaprTestOptions();
        configure?.Invoke(options);
        var resources = ResourceLoader.Load(options.ResourcesPath);
        var connection = await ConnectionMultiplexer.ConnectAsync(redis.Endpoint + ",allowAdmin=true");
        // An environment is a fresh deployment: state, streams and locks of an earlier test must not leak into it.
        // One environment at a time per Redis server (xunit runs the tests of a class or collection one by one).
        await connection.GetServer(connection.GetEndPoints()[0]).FlushDatabaseAsync();
        var environment = new DaprTestEnvironment(connection, options, resources);
        await File.WriteAllTextAsync(environment.SecretsFile, JsonSerializer.Serialize(options.Secrets));
        Directory.CreateDirectory(environment.BlobRoot);
        return environment;
    }

    /// <summary>Starts a sidecar for <paramref name="appId"/>; give its endpoints to the app, then call <see cref="DaprSidecar.AttachAppAsync"/>.</summary>
    public async Task<DaprSidecar> StartSidecarAsync(string appId)
    {
        var sidecar = new DaprSidecar(this, appId, ResolveComponents(appId));
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
        _directory.Dispose();
    }

    private IReadOnlyList<ComponentSpec> ResolveComponents(string appId)
    {
        var visible = Resources.Components.Where(c => c.Scopes.Count == 0 || c.Scopes.Contains(appId)).ToList();
        var secretFiles = new Dictionary<string, Runtime.LocalFileSecretStore>(StringComparer.Ordinal);
        var specs = new List<ComponentSpec>();
        // Secret stores first: other components' secretKeyRefs resolve through them, as in daprd.
        foreach (var raw in visible.OrderBy(c => c.Type.StartsWith("secretstores.", StringComparison.Ordinal) ? 0 : 1))
        {
            var metadata = new Dictionary<string, string>(raw.Values, StringComparer.Ordinal);
            ApplyEnvironment(raw, metadata);
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
                secretFiles[raw.Name] = new Runtime.LocalFileSecretStore(spec, RepositoryPaths.Root);
            }
            specs.Add(spec);
        }
        return specs;
    }

    /// <summary>Points what the YAML names at this machine (Redis, files) at the environment's own, then test overrides.</summary>
    private void ApplyEnvironment(RawComponent raw, Dictionary<string, string> metadata)
    {
        var redisEndpoint = Redis.GetEndPoints()[0].ToString()!.Replace("Unspecified/", string.Empty, StringComparison.Ordinal);
        switch (raw.Type)
        {
            case SupportedComponentTypes.StateRedis or SupportedComponentTypes.PubSubRedis or SupportedComponentTypes.LockRedis:
                metadata["redisHost"] = redisEndpoint;
                break;
            case SupportedComponentTypes.LocalStorage:
                metadata["rootPath"] = Path.Combine(BlobRoot, raw.Name);
                break;
            case SupportedComponentTypes.LocalFileSecrets:
                metadata["secretsFile"] = SecretsFile;
                break;
        }
        if (Options.MetadataOverrides.TryGetValue(raw.Name, out var overrides))
        {
            foreach (var (key, value) in overrides)
            {
                metadata[key] = value;
            }
        }
    }
}
