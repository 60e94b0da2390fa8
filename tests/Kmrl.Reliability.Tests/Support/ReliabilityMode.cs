namespace Kmrl.Reliability.Tests.Support;

/// <summary>
/// CI runs the suite bounded in time; <c>KMRL_RELIABILITY_MODE=long</c> (what <c>./build.sh bench</c> sets) runs the
/// same tests longer and bigger for the report. The assertions are the same in both modes.
/// </summary>
public static class ReliabilityMode
{
    public static bool Long { get; } =
        string.Equals(Environment.GetEnvironmentVariable("KMRL_RELIABILITY_MODE"), "long", StringComparison.OrdinalIgnoreCase);

    /// <summary>Picks the CI value or the long-mode value of a count or duration.</summary>
    public static T Scale<T>(T ci, T longMode) => Long ? longMode : ci;
}
