namespace Kmrl.Deployment.Tests;

internal static class RepositoryRoot
{
    /// <summary>The folder holding Kmrl.Dapr.sln, found by walking up from the test binaries.</summary>
    public static string Find()
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
