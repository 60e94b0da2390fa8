using System.Diagnostics;
using Kmrl.DocumentApi.Processing.Isolation;
using Kmrl.Testing.Servers;

namespace Kmrl.DocumentApi.Tests.Isolation;

/// <summary>
/// The pool's retry policy with a scripted worker speaking the worker protocol (a job per input line, a status line
/// back): whether a document is charged with a worker's death depends on whether that worker was fresh.
/// </summary>
public sealed class ExtractionWorkerPoolTests : IDisposable
{
    private readonly TempDirectory _folder = new("worker-pool");

    /// <summary>
    /// Answers "extracted" to every job, except that it aborts (exit 134, as a runtime fault does) on its second job
    /// when the job names "reused-crash", and on any job naming "poison".
    /// </summary>
    private const string Script = """
        jobs=0
        while IFS= read -r line; do
          jobs=$((jobs + 1))
          case "$line" in
            *poison*) exit 134 ;;
            *reused-crash*) if [ "$jobs" -gt 1 ]; then exit 134; fi ;;
          esac
          echo "kmrl-extract-done 0 1024"
        done
        """;

    private Process StartScripted() => Process.Start(new ProcessStartInfo("bash", ["-c", Script])
    {
        RedirectStandardInput = true,
        RedirectStandardOutput = true,
        RedirectStandardError = true,
        UseShellExecute = false,
    })!;

    private ExtractionWorkerJob Job(string name) =>
        new(Path.Combine(_folder.Path, name + ".request.json"), Path.Combine(_folder.Path, name + ".result.json"));

    [Fact]
    public async Task A_document_that_ends_a_reused_worker_is_read_again_by_a_fresh_one_and_gets_its_answer()
    {
        using var pool = new ExtractionWorkerPool(1, 10, StartScripted);

        var first = await pool.RunAsync(Job("ordinary"), CancellationToken.None);
        var second = await pool.RunAsync(Job("reused-crash"), CancellationToken.None);

        Assert.Equal(ExtractionWorkerExit.Extracted, first.Run.ExitCode);
        Assert.Equal(ExtractionWorkerExit.Extracted, second.Run.ExitCode);
        Assert.Equal(2, pool.Started);
    }

    [Fact]
    public async Task A_document_that_ends_a_fresh_worker_is_charged_with_it_without_a_second_attempt()
    {
        using var pool = new ExtractionWorkerPool(1, 10, StartScripted);

        var poisoned = await pool.RunAsync(Job("poison"), CancellationToken.None);
        var next = await pool.RunAsync(Job("ordinary"), CancellationToken.None);

        Assert.Equal(134, poisoned.Run.ExitCode);
        Assert.Equal(ExtractionWorkerExit.Extracted, next.Run.ExitCode);
        Assert.Equal(2, pool.Started); // the poisoned one, then a fresh one for the next document
    }

    [Fact]
    public async Task A_document_that_ends_a_reused_worker_and_then_a_fresh_one_is_charged_with_the_fresh_ones_end()
    {
        using var pool = new ExtractionWorkerPool(1, 10, StartScripted);

        await pool.RunAsync(Job("ordinary"), CancellationToken.None);
        var poisoned = await pool.RunAsync(Job("poison"), CancellationToken.None);

        Assert.Equal(134, poisoned.Run.ExitCode);
        Assert.Equal(2, pool.Started);
    }

    public void Dispose() => _folder.Dispose();
}
