namespace Kmrl.Deployment.Tests;

/// <summary>
/// A temporary copy of what the deployment rules read (components, dapr.yaml and its Configuration, k8s, project,
/// settings and Dockerfiles, build-images.sh, the README and the operations guide), for breaking
/// on purpose and proving a rule notices.
/// </summary>
internal sealed class RepositoryCopy : IDisposable
{
    public RepositoryCopy()
    {
        var source = RepositoryRoot.Find();
        Root = Directory.CreateTempSubdirectory("kmrl-repo-copy-").FullName;
        CopyDirectory(Path.Combine(source, "components"), Path.Combine(Root, "components"), "*");
        CopyDirectory(Path.Combine(source, "k8s"), Path.Combine(Root, "k8s"), "*");
        CopyDirectory(Path.Combine(source, "dapr-config"), Path.Combine(Root, "dapr-config"), "*");
        CopyDirectory(Path.Combine(source, "services"), Path.Combine(Root, "services"), "*.csproj");
        CopyDirectory(Path.Combine(source, "services"), Path.Combine(Root, "services"), "appsettings.json");
        CopyDirectory(Path.Combine(source, "services"), Path.Combine(Root, "services"), "Dockerfile");
        foreach (var file in new[] { "dapr.yaml", "README.md", "build-images.sh", Path.Combine("docs", "operations.md") })
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(Root, file))!);
            File.Copy(Path.Combine(source, file), Path.Combine(Root, file));
        }
    }

    public string Root { get; }

    public string PathOf(string relative) => Path.Combine(Root, relative);

    /// <summary>Replaces text in a copied file and fails if the text was not there (the test would prove nothing).</summary>
    public void Replace(string relative, string oldText, string newText)
    {
        var path = PathOf(relative);
        var content = File.ReadAllText(path);
        Assert.Contains(oldText, content);
        File.WriteAllText(path, content.Replace(oldText, newText, StringComparison.Ordinal));
    }

    public void Dispose() => Directory.Delete(Root, recursive: true);

    private static void CopyDirectory(string from, string to, string pattern)
    {
        if (!Directory.Exists(from))
        {
            return;
        }
        foreach (var file in Directory.EnumerateFiles(from, pattern, SearchOption.AllDirectories))
        {
            if (file.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}") || file.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}"))
            {
                continue;
            }
            var target = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }
}
