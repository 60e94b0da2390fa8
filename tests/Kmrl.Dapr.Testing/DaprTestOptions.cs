using Kmrl.Dapr.Testing.Components;

namespace Kmrl.Dapr.Testing;

/// <summary>How a test environment reads the repository's resources and where it puts what they would touch.</summary>
public sealed class DaprTestOptions
{
    /// <summary>The resources folder daprd would be given; default: the repository's <c>components/</c>.</summary>
    public string ResourcesPath { get; set; } = RepositoryPaths.Components;

    /// <summary>Per component, metadata that replaces what the YAML says (e.g. a file path).</summary>
    public Dictionary<string, Dictionary<string, string>> MetadataOverrides { get; } = new(StringComparer.Ordinal);

    /// <summary>
    /// The content of secrets.json for the local file secret store. With the repository's store (multiValued "true")
    /// each entry is one secret: a string (one key, the secret's own name) or an object whose members are its keys.
    /// </summary>
    public Dictionary<string, object> Secrets { get; } = new(StringComparer.Ordinal) { ["redis-password"] = string.Empty };

    /// <summary>Replaces every retry policy of resiliency.yaml (tests keep redelivery fast); null keeps the file's.</summary>
    public RetryPolicy? RetryPolicyOverride { get; set; }

    /// <summary>Where the double logs (subscriptions loaded, deliveries, dead letters), e.g. <c>output.WriteLine</c>.</summary>
    public Action<string>? Log { get; set; }

    /// <summary>When set, the sidecar sends it as <c>dapr-api-token</c> on calls to the app (APP_API_TOKEN).</summary>
    public string? AppApiToken { get; set; }
}

public static class RepositoryPaths
{
    public static string Root { get; } = FindRoot();

    public static string Components => Path.Combine(Root, "components");

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
