namespace Kmrl.Bench;

/// <summary>One benchmark of the list (P1..P6): measures ours and its baseline in the same run.</summary>
public interface IBenchmark
{
    /// <summary>P1, P2, ...: the order of the report.</summary>
    string Id { get; }

    string Title { get; }

    Task<IReadOnlyList<BenchResult>> RunAsync(BenchContext context, CancellationToken cancellationToken);
}
