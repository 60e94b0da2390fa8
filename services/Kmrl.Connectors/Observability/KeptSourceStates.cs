using System.Threading.Channels;
using Kmrl.BuildingBlocks.State;
using Kmrl.Connectors.Hosting;
using Kmrl.Contracts;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Kmrl.Connectors.Observability;

/// <summary>
/// What a source's runs leave that must outlast one process and be the same on every replica: the failed runs in a row
/// as of its last finished run, its last successful run and the last time it handed a document on.
/// </summary>
public sealed record KeptSourceState(int ConsecutiveFailures, DateTimeOffset AsOf, DateTimeOffset? LastSuccessAt = null, DateTimeOffset? LastDocumentAt = null);

/// <summary>
/// Keeps each source's <see cref="KeptSourceState"/> in the state store (<c>connector-failures:&lt;hash&gt;</c>, through
/// the one optimistic update, <see cref="StateStoreUpdates"/>) and gives it back to <see cref="ConnectorStatusRegistry"/>
/// at start; <c>/connector/status</c> reads it on every request (<see cref="ReadAsync"/>), as it reads the checkpoint.
/// Without it a restart in the middle of an outage forgets that <c>ConnectorSyncFailed</c> went out, so the run that
/// completes afterwards publishes no <c>ConnectorSyncRecovered</c> and the incident never closes; and the operations
/// page's lag ("since the last successful run", "since the last document") was whatever the replica it asked happened
/// to have run, nothing after a restart. The read at start runs in the background, retried for a minute while the
/// sidecar starts. Writes follow the runs in order through one queue and never wait a run; a write that fails is
/// logged, and the next finished run writes again.
/// </summary>
internal sealed partial class KeptSourceStates(
    IStateStore store, ConnectorStatusRegistry status, IEnumerable<IDocumentSource> sources, IOptions<ConnectorHostOptions> options,
    ILogger<KeptSourceStates> logger) : IHostedService
{
    private const int MaxAttempts = 16;
    private readonly Channel<SourceState> _finished = Channel.CreateUnbounded<SourceState>(new UnboundedChannelOptions { SingleReader = true });
    private static readonly TimeSpan RestoreRetryDelay = TimeSpan.FromSeconds(2);
    private const int RestoreAttempts = 30;
    private readonly CancellationTokenSource _stopping = new();
    private Task _writer = Task.CompletedTask;
    private Task _restore = Task.CompletedTask;

    public string Key(string source) => "connector-failures:" + StateKeyHash.Of(options.Value.ConnectorName + "\n" + source);

    /// <summary>Completes once every source's kept streak was read back (or given up on); tests wait for it.</summary>
    public Task Restored => _restore;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        status.RunRecorded += Enqueue;
        _writer = Task.Run(WriteAsync, CancellationToken.None);
        // In the background: the host must not wait for a sidecar that is still starting, and a run that finishes
        // first knows better than what is read back (RestoreFailures leaves a source that ran alone).
        _restore = Task.Run(() => RestoreAsync(_stopping.Token), CancellationToken.None);
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync();
        status.RunRecorded -= Enqueue;
        _finished.Writer.TryComplete();
        // What is queued is written before the host goes: the next start must find the last run's streak.
        await Task.WhenAll(_restore, _writer).WaitAsync(cancellationToken);
    }

    private async Task RestoreAsync(CancellationToken stopping)
    {
        foreach (var source in sources)
        {
            for (var attempt = 1; ; attempt++)
            {
                try
                {
                    if (await store.GetAsync<KeptSourceState>(Key(source.Name), stopping) is { } kept)
                    {
                        status.Restore(source.Name, kept.Value);
                        if (kept.Value.ConsecutiveFailures > 0) LogRestored(logger, source.Name, kept.Value.ConsecutiveFailures, kept.Value.AsOf);
                    }
                    break;
                }
                catch (OperationCanceledException) when (stopping.IsCancellationRequested)
                {
                    return;
                }
                catch (Exception exception) when (attempt < RestoreAttempts)
                {
                    LogReadRetry(logger, exception, source.Name, attempt);
                    try
                    {
                        await Task.Delay(RestoreRetryDelay, stopping);
                    }
                    catch (OperationCanceledException)
                    {
                        return;
                    }
                }
                catch (Exception exception)
                {
                    // The sidecar never answered: this process counts from its own runs.
                    LogReadFailed(logger, exception, source.Name);
                    break;
                }
            }
        }
    }

    /// <summary>The source's kept state as the store has it now (written by whichever replica ran it last); null when none.</summary>
    public async Task<KeptSourceState?> ReadAsync(string source, CancellationToken cancellationToken) =>
        (await store.GetAsync<KeptSourceState>(Key(source), cancellationToken))?.Value;

    internal static DateTimeOffset? Later(DateTimeOffset? a, DateTimeOffset? b) => a is null ? b : b is null ? a : a > b ? a : b;

    private void Enqueue(SourceState state) => _finished.Writer.TryWrite(state);

    private async Task WriteAsync()
    {
        await foreach (var state in _finished.Reader.ReadAllAsync())
        {
            if (state.LastRun is not { } run) continue;
            try
            {
                await store.UpdateAsync<KeptSourceState>(Key(state.Source), current =>
                    current is not null && current.AsOf >= run.FinishedAt ? null
                    // Later of the two: a replica that handed nothing on does not forget what another one did.
                    : new KeptSourceState(state.ConsecutiveFailures, run.FinishedAt,
                        Later(current?.LastSuccessAt, state.LastSuccessAt), Later(current?.LastDocumentAt, state.LastDocumentAt)),
                    MaxAttempts, CancellationToken.None);
            }
            catch (Exception exception)
            {
                LogWriteFailed(logger, exception, state.Source, state.ConsecutiveFailures);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "{Source} had failed {Failures} runs in a row as of {AsOf}; counting on from there")]
    private static partial void LogRestored(ILogger logger, string source, int failures, DateTimeOffset asOf);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Reading the failed runs in a row of {Source} failed (attempt {Attempt}); trying again")]
    private static partial void LogReadRetry(ILogger logger, Exception exception, string source, int attempt);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Reading the failed runs in a row of {Source} failed; counting from this process's runs")]
    private static partial void LogReadFailed(ILogger logger, Exception exception, string source);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Storing {Failures} failed runs in a row of {Source} failed; the next run stores it again")]
    private static partial void LogWriteFailed(ILogger logger, Exception exception, string source, int failures);
}
