using Kmrl.Dapr.Testing.Components;

namespace Kmrl.Dapr.Testing;

/// <summary>How a test environment reads the repository's resources and where it puts what they would touch.</summary>
public sealed class DaprTestOptions
{
    /// <summary>
    /// The multi-app run file whose layout the environment copies (dapr.yaml, its resources folders, each app's
    /// appDirPath); default: the repository's <c>dapr.yaml</c>.
    /// </summary>
    public string RunFile { get; set; } = RepositoryPaths.RunFile;

    /// <summary>
    /// Instead of the run file's resources: one folder, as <c>dapr run --app-id X --resources-path DIR</c> from the
    /// repository root gives daprd (every app then runs from the copy's root).
    /// </summary>
    public string? ResourcesPath { get; set; }

    /// <summary>Per component, metadata that replaces what the YAML says (a test-only knob; prefer <see cref="EditFile"/>).</summary>
    public Dictionary<string, Dictionary<string, string>> MetadataOverrides { get; } = new(StringComparer.Ordinal);

    /// <summary>
    /// The content of secrets.json for the local file secret store. With the repository's store (multiValued "true")
    /// each entry is one secret: a string (one key, the secret's own name) or an object whose members are its keys.
    /// Written to <see cref="SecretsFilePath"/> in the copy, where the README has a developer create it; the copied
    /// secretstore.yaml must point there from every appDirPath, or the sidecar fails to start as daprd would.
    /// </summary>
    public Dictionary<string, object> Secrets { get; } = new(StringComparer.Ordinal) { ["redis-password"] = string.Empty };

    /// <summary>Per app id, secret names added to the allowed list of its Configuration's <c>secretstore</c> scope.</summary>
    public Dictionary<string, List<string>> AllowedSecrets { get; } = new(StringComparer.Ordinal);

    /// <summary>
    /// Lets <paramref name="appId"/> read <paramref name="names"/> from the <c>secretstore</c> as well as what its
    /// Configuration's <c>spec.secrets.scopes</c> allow: the step an operator takes when a source with a new secret is
    /// configured (a test's own mailbox or Maximo source). Every app of dapr.yaml has a default-deny scope, so a
    /// secret the app's Configuration does not name is PermissionDenied, as on daprd.
    /// </summary>
    public DaprTestOptions AllowSecrets(string appId, params string[] names)
    {
        if (!AllowedSecrets.TryGetValue(appId, out var list))
        {
            AllowedSecrets[appId] = list = [];
        }
        list.AddRange(names);
        return this;
    }

    /// <summary>Where <see cref="Secrets"/> is written, relative to the copy's root (the repository root); default <c>secrets.json</c>.</summary>
    public string SecretsFilePath { get; set; } = "secrets.json";

    /// <summary>Edits of the copied run files, applied in order before anything is loaded (relative path, edit).</summary>
    public List<(string RelativePath, Func<string, string> Edit)> FileEdits { get; } = [];

    /// <summary>
    /// Edits one file of the temp copy (path relative to the repository root, e.g. <c>components/blobstore.yaml</c>)
    /// before the sidecars read it. The repository's files are never touched.
    /// </summary>
    public DaprTestOptions EditFile(string relativePath, Func<string, string> edit)
    {
        FileEdits.Add((relativePath, edit));
        return this;
    }

    /// <summary>
    /// Replaces the copied <c>components/resiliency.yaml</c> with a test-only Resiliency (e.g. a short
    /// <c>deliveryRetry</c> so a dead-letter test takes milliseconds, not the production policy's minutes). It is
    /// loaded as strictly as the repository's file.
    /// </summary>
    public DaprTestOptions UseResiliency(string yaml, string relativePath = "components/resiliency.yaml") =>
        EditFile(relativePath, _ => yaml);

    /// <summary>
    /// Patches one retry policy of the copied resiliency.yaml (by default the production <c>deliveryRetry</c>) to a
    /// constant one, keeping everything else of the file: a test that waits for a dead letter then takes
    /// <paramref name="maxRetries"/> × <paramref name="duration"/> instead of the production policy's minutes.
    /// </summary>
    public DaprTestOptions UseRetryPolicy(TimeSpan duration, int maxRetries, string policy = "deliveryRetry",
        string relativePath = "components/resiliency.yaml") =>
        EditFile(relativePath, text =>
        {
            var document = new YamlDotNet.Serialization.DeserializerBuilder().Build().Deserialize<Dictionary<object, object>>(text);
            var retries = (Dictionary<object, object>)((Dictionary<object, object>)((Dictionary<object, object>)document["spec"])["policies"])["retries"];
            if (!retries.ContainsKey(policy))
            {
                throw new InvalidOperationException($"{relativePath} has no retry policy '{policy}' to patch.");
            }
            retries[policy] = new Dictionary<object, object>
            {
                ["policy"] = "constant",
                ["duration"] = ((long)duration.TotalMilliseconds).ToString(System.Globalization.CultureInfo.InvariantCulture) + "ms",
                ["maxRetries"] = maxRetries,
            };
            return new YamlDotNet.Serialization.SerializerBuilder().Build().Serialize(document);
        });

    /// <summary>
    /// The local runtime (tools/Kmrl.Dapr.Local.Host): read the run file and its resources where they are instead of a
    /// temp copy, keep what Redis holds (no flush at start), write no secrets file (the components' own is read), and
    /// bind each sidecar to the run file's <c>daprGRPCPort</c>/<c>daprHTTPPort</c>. Tests leave it off.
    /// </summary>
    public bool InPlace { get; set; }

    /// <summary>
    /// Start on what Redis already holds (no flush): a test that stops a whole environment (the workflow engine with
    /// it) and starts another on the same data, as the local runtime restarts. Implied by <see cref="InPlace"/>.
    /// </summary>
    public bool KeepRedisData { get; set; }

    /// <summary>Cron bindings fire on their own schedule (as daprd does) when true; by default only <c>FireCronAsync</c> fires them.</summary>
    public bool CronRealTime { get; set; }

    /// <summary>Where the double logs (subscriptions loaded, deliveries, dead letters), e.g. <c>output.WriteLine</c>.</summary>
    public Action<string>? Log { get; set; }

    /// <summary>When set, the sidecar sends it as <c>dapr-api-token</c> on calls to the app (APP_API_TOKEN).</summary>
    public string? AppApiToken { get; set; }

    /// <summary>
    /// When set, the sidecar requires it as <c>dapr-api-token</c> on every call to its HTTP and gRPC APIs (workflows
    /// included), as daprd started with DAPR_API_TOKEN does: 401 <c>invalid api token</c> over HTTP (health routes
    /// excepted), Unauthenticated over gRPC. Apps started with <c>StartAppAsync</c> get it as DAPR_API_TOKEN and
    /// <see cref="DaprSidecar.CreateClient()"/> presents it. Off by default; the local runtime sets it.
    /// </summary>
    public string? DaprApiToken { get; set; }

    /// <summary>
    /// The daprd version the double behaves as where runtimes differ: before 1.17 the workflow API has no
    /// GetInstanceHistory (UNIMPLEMENTED).
    /// </summary>
    public Version RuntimeVersion { get; set; } = new(1, 17);
}

public static class RepositoryPaths
{
    public static string Root { get; } = FindRoot();

    public static string Components => Path.Combine(Root, "components");

    public static string RunFile => Path.Combine(Root, "dapr.yaml");

    private static string FindRoot()
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
