namespace Kmrl.ServiceDefaults;

/// <summary>
/// The match timeout every regex in the services carries. The patterns are written to run in linear time (most with
/// RegexOptions.NonBacktracking); the timeout is the backstop, so that a pattern that slips cannot hold a core for
/// minutes on hostile text (issue 18: `PO` and 2,000 spaces took 133 s). A timeout surfaces as
/// RegexMatchTimeoutException, which fails that one document's activity with a named error.
/// </summary>
public static class RegexBudget
{
    public const int MatchTimeoutMilliseconds = 2000;

    public static TimeSpan MatchTimeout { get; } = TimeSpan.FromMilliseconds(MatchTimeoutMilliseconds);
}
