using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Kmrl.DocumentApi.Adapters;

namespace Kmrl.DocumentApi.Processing.Isolation;

/// <summary>
/// Extraction workers kept between documents, as Apache Tika's forked mode keeps its child: a worker per document
/// cost a .NET start-up each (issue 18: 500 small PDFs on 2 cores starved the connector under test in R1). At most
/// <c>size</c> run at once; a worker is retired after its quota of documents, after any limit breach or unnamed
/// failure (it has then exited already), and when it died; the next document starts a fresh one.
/// </summary>
internal sealed class ExtractionWorkerPool(int size, int documentsPerWorker, Func<Process> start) : IDisposable
{
    private readonly SemaphoreSlim _slots = new(size, size);
    private readonly ConcurrentStack<PooledWorker> _idle = new();
    private readonly ConcurrentDictionary<int, PooledWorker> _live = new();
    private volatile bool _disposed;

    /// <summary>Workers started so far (a test's and an operator's measure of reuse).</summary>
    public int Started => _started;

    private int _started;

    /// <summary>The process ids of the workers alive now, idle or busy.</summary>
    public IReadOnlyList<int> ProcessIds => [.. _live.Keys];

    /// <summary>
    /// Runs one job on a pooled worker: its status code (or the worker's exit code when it ended without one) and the
    /// worker's peak resident memory for it, when it said. A worker that had served documents before and then ended
    /// without an answer may have died of what they left behind (its address space, a runtime fault): R1 saw reused
    /// workers abort on ordinary PDFs. So the job runs once more on a fresh worker, and the document is charged only
    /// with how a fresh worker ends: a hostile file still gets its named outcome, at the cost of a second attempt.
    /// </summary>
    public async Task<(ToolRun Run, long? PeakRssBytes)> RunAsync(ExtractionWorkerJob job, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        await _slots.WaitAsync(cancellationToken);
        try
        {
            var (run, peak, reused) = await RunOnceAsync(job, fresh: false, cancellationToken);
            if (reused && !IsAnswer(run))
            {
                (run, peak, _) = await RunOnceAsync(job, fresh: true, cancellationToken);
            }
            return (run, peak);
        }
        finally
        {
            _slots.Release();
        }
    }

    /// <summary>Extracted or a named unreadable file: the worker answered, and is fit for the next document.</summary>
    private static bool IsAnswer(ToolRun run) => run.ExitCode is ExtractionWorkerExit.Extracted or ExtractionWorkerExit.Unreadable;

    private async Task<(ToolRun Run, long? PeakRssBytes, bool Reused)> RunOnceAsync(ExtractionWorkerJob job, bool fresh, CancellationToken cancellationToken)
    {
        PooledWorker? worker = null;
        var reusable = false;
        try
        {
            worker = fresh ? StartWorker() : Take();
            var reused = worker.Documents > 0;
            var (run, peak) = await worker.RunAsync(job, cancellationToken);
            reusable = IsAnswer(run) && !worker.Ended && worker.Documents < documentsPerWorker;
            return (run, peak, reused);
        }
        finally
        {
            if (worker is not null)
            {
                if (reusable && !_disposed) _idle.Push(worker);
                else Retire(worker);
            }
        }
    }

    private PooledWorker Take()
    {
        while (_idle.TryPop(out var idle))
        {
            if (!idle.Ended) return idle;
            Retire(idle);
        }
        return StartWorker();
    }

    private PooledWorker StartWorker()
    {
        Interlocked.Increment(ref _started);
        var worker = new PooledWorker(start());
        _live[worker.ProcessId] = worker;
        return worker;
    }

    private void Retire(PooledWorker worker)
    {
        _live.TryRemove(worker.ProcessId, out _);
        worker.Dispose();
    }

    /// <summary>Ends every worker: idle ones by closing their input, busy ones (the service is stopping) killed with their tools.</summary>
    public void Dispose()
    {
        _disposed = true;
        while (_idle.TryPop(out var worker)) Retire(worker);
        foreach (var busy in _live.Values) Retire(busy);
    }

    /// <summary>One worker process: jobs go to its standard input, status lines come back on its output.</summary>
    private sealed class PooledWorker : IDisposable
    {
        private const int MaxStderrChars = 16 * 1024;
        private readonly Process _process;
        private readonly StringBuilder _stderr = new();

        public PooledWorker(Process process)
        {
            _process = process;
            // Kept: a disposed Process no longer answers Id, and the pool's Dispose and a job's end may both retire it.
            ProcessId = process.Id;
            _process.ErrorDataReceived += (_, line) =>
            {
                if (line.Data is null) return;
                lock (_stderr)
                {
                    // What this job wrote, bounded: a chatty tool must not grow the service's memory.
                    if (_stderr.Length < MaxStderrChars) _stderr.AppendLine(line.Data);
                }
            };
            _process.BeginErrorReadLine();
        }

        public int Documents { get; private set; }

        public int ProcessId { get; }

        public bool Ended => Volatile.Read(ref _disposed) == 1 || _process.HasExited;

        public async Task<(ToolRun, long?)> RunAsync(ExtractionWorkerJob job, CancellationToken cancellationToken)
        {
            lock (_stderr) _stderr.Clear();
            Documents++;
            try
            {
                await _process.StandardInput.WriteLineAsync(JsonSerializer.Serialize(job, ExtractionWorkerExit.Json).AsMemory(), cancellationToken);
                await _process.StandardInput.FlushAsync(cancellationToken);
                while (await _process.StandardOutput.ReadLineAsync(cancellationToken) is { } line)
                {
                    if (!line.StartsWith(ExtractionWorkerExit.DoneMarker, StringComparison.Ordinal)) continue;
                    var fields = line[ExtractionWorkerExit.DoneMarker.Length..].Split(' ');
                    if (!int.TryParse(fields[0], CultureInfo.InvariantCulture, out var status)) continue;
                    long? peak = fields.Length > 1 && long.TryParse(fields[1], CultureInfo.InvariantCulture, out var kib) && kib > 0 ? kib * 1024 : null;
                    // After these the worker exits: let it, so what it wrote to stderr is all here.
                    if (status is ExtractionWorkerExit.Failed or ExtractionWorkerExit.OutOfMemory) await ExitedAsync();
                    return (new ToolRun(status, string.Empty, Stderr()), peak);
                }
            }
            catch (IOException)
            {
                // The pipe broke: the worker is gone; its exit code says how.
            }
            catch (OperationCanceledException)
            {
                Kill();
                throw;
            }
            // Without a status line the worker ended (a signal, the runtime's own abort): its exit code is the answer.
            await ExitedAsync();
            var run = new ToolRun(_process.ExitCode, string.Empty, Stderr());
            if (ToolProcess.CommandNotFound(run)) throw new Ports.ToolNotInstalledException("dotnet");
            return (run, null);
        }

        /// <summary>Waits, bounded, for the worker's end and the rest of its stderr.</summary>
        private async Task ExitedAsync()
        {
            using var drained = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            try
            {
                await _process.WaitForExitAsync(drained.Token);
            }
            catch (OperationCanceledException)
            {
                Kill();
                await _process.WaitForExitAsync(CancellationToken.None);
            }
        }

        private string Stderr()
        {
            lock (_stderr) return _stderr.ToString();
        }

        private void Kill()
        {
            try
            {
                _process.Kill(entireProcessTree: true);
            }
            catch (InvalidOperationException)
            {
                // Already gone.
            }
        }

        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 1) return;
            // Closing its input ends an idle worker; one that does not go within a moment is killed with its tools.
            try
            {
                _process.StandardInput.Close();
            }
            catch (IOException)
            {
            }
            if (!_process.WaitForExit(TimeSpan.FromSeconds(2))) Kill();
            _process.Dispose();
        }
    }
}
