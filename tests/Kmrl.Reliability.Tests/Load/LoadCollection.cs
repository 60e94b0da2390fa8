namespace Kmrl.Reliability.Tests.Load;

/// <summary>
/// The load test measures this process's RSS, which every service a test starts here shares: it runs alone, after
/// the parallel test classes.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class LoadCollection
{
    public const string Name = "R5 load (runs alone)";
}
