using System.Collections.Concurrent;
using System.Diagnostics;
using Kmrl.ClaimCheck;
using Kmrl.Connectors.Dapr;
using Kmrl.Connectors.Hosting;
using Kmrl.Connectors.Observability;
using Kmrl.Connectors.Ports;
using Kmrl.Contracts;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Kmrl.Connectors.Sync;

/// <summary>
/// Runs one sync of one source: lock, load the checkpoint, walk the change stream handing every document to the
/// claim check and pub/sub, and store each checkpoint marker only once everything before it is handed on.
/// A crash at any point leaves the last stored checkpoint behind, so the work after it is redone: at-least-once.
/// </summary>
public sealed class SyncRunner(
    IOptions<ConnectorHostOptions> options,
    ISyncLock syncLock,
    ICheckpointStore checkpoints,
    IDocumentContentStore contentStore,
    IEventPublisher publisher,
    ISkippedItemStore skippedItems,
    DocumentFilter filter,
    SourceRateLimiters rateLimiters,
    RetryBackoff backoff,
    ConnectorMetrics metrics,
    ConnectorStatusRegistry status,
    TimeProvider timeProvider,
    ILogger<SyncRunner> logger)
{
    private readonly ISyncLock _syncLock = syncLock;
    private readonly ICheckpointStore _checkpoints = checkpoints;
    private readonly IDocumentContentStore _contentStore = contentStore;
    private readonly IEventPublisher _publisher = publisher;
    private readonly ISkippedItemStore _skippedItems = skippedItems;
    private readonly DocumentFilter _filter = filter;
    private readonly SourceRateLimiters _rateLimiters = rateLimiters;
    private readonly RetryBackoff _backoff = backoff;
    private readonly ConnectorMetrics _metrics = metrics;
    private readonly ConnectorStatusRegistry _status = status;
    private readonly TimeProvider _timeProvider = timeProvider;
    private readonly ILogger<SyncRunner> _logger = logger;
    private readonly ConnectorHostOptions _options = options.Value;
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _running = new(StringComparer.Ordinal);

    private string Connector => _options.ConnectorName;

    public async Task<SyncRunResult> RunAsync(IDocumentSource source, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(source);
        var runId = Guid.CreateVersion7().ToString("N");
        var startedAt = _timeProvider.GetUtcNow();
        var gate = _running.GetOrAdd(source.Name, _ => new SemaphoreSlim(1, 1));
        if (!await gate.WaitAsync(0, CancellationToken.None))
        {
            return Skipped(source, runId, startedAt, SyncOutcome.SkippedRunningHere);
        }
        try
        {
            ISyncLease? lease;
            try
            {
                lease = await _syncLock.TryAcquireAsync(StateKeys.SyncLock(Connector, source.Name), _options.LockLeaseDuration, cancellationToken);
            }
            catch (Exception exception) when (!cancellationToken.IsCancellationRequested)
            {
                _logger.LogError(exception, "Could not take the sync lock of {Source}", source.Name);
                return await FinishAsync(source, runId, startedAt, SyncOutcome.Failed, SyncCounts.None, "Could not take the sync lock: " + exception.Message);
            }
            if (lease is null)
            {
                return Skipped(source, runId, startedAt, SyncOutcome.SkippedLockHeld);
            }
            await using (lease)
            {
                return await RunLockedAsync(source, runId, startedAt, cancellationToken);
            }
        }
        finally
        {
            gate.Release();
        }
    }

    private async Task<SyncRunResult> RunLockedAsync(IDocumentSource source, string runId, DateTimeOffset startedAt, CancellationToken cancellationToken)
    {
        using var activity = ConnectorTelemetry.ActivitySource.StartActivity("connector.sync");
        activity?.SetTag(ConnectorTelemetry.ConnectorTag, Connector);
        activity?.SetTag(ConnectorTelemetry.SourceTag, source.Name);
        _status.RunStarted(source.Name, runId, startedAt);
        _logger.LogInformation("Sync {RunId} of {Source} started", runId, source.Name);

        // The lease cannot be renewed through Dapr, so the run ends itself before the lease does.
        using var deadline = new CancellationTokenSource(_options.RunDeadline, _timeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token);
        var run = new Run(this, source, runId, linked.Token);
        SyncOutcome outcome;
        string? error = null;
        try
        {
            outcome = await run.ExecuteAsync();
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            outcome = SyncOutcome.Cancelled;
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested)
        {
            outcome = SyncOutcome.StoppedBeforeLeaseEnd;
            _logger.LogWarning("Sync {RunId} of {Source} reached its deadline of {Deadline} and stopped; the next run continues from the stored checkpoint",
                runId, source.Name, _options.RunDeadline);
        }
        catch (Exception exception)
        {
            outcome = SyncOutcome.Failed;
            error = Describe(exception);
            _logger.LogError(exception, "Sync {RunId} of {Source} failed", runId, source.Name);
        }
        activity?.SetTag(ConnectorTelemetry.OutcomeTag, outcome.ToString());
        if (outcome == SyncOutcome.Failed)
        {
            activity?.SetStatus(ActivityStatusCode.Error, error);
        }
        return await FinishAsync(source, runId, startedAt, outcome, run.Counts, error);
    }

    private async Task<SyncRunResult> FinishAsync(IDocumentSource source, string runId, DateTimeOffset startedAt, SyncOutcome outcome, SyncCounts counts, string? error)
    {
        var finishedAt = _timeProvider.GetUtcNow();
        var result = new SyncRunResult(source.Name, runId, outcome, startedAt, finishedAt, counts, error);
        var failuresBefore = _status.Get(source.Name).ConsecutiveFailures;
        var consecutiveFailures = _status.RunFinished(result);
        _metrics.RunFinished(source.Name, outcome.ToString(), finishedAt - startedAt);
        _logger.LogInformation(
            "Sync {RunId} of {Source} ended {Outcome}: {Discovered} discovered, {Removed} removed, {Rejected} rejected, {DeadLettered} dead-lettered, {Bytes} bytes",
            runId, source.Name, outcome, counts.Discovered, counts.Removed, counts.Rejected, counts.DeadLettered, counts.Bytes);

        var threshold = _options.DegradedAfterConsecutiveFailures;
        if (outcome == SyncOutcome.Failed && consecutiveFailures >= threshold && (consecutiveFailures - threshold) % threshold == 0)
        {
            await PublishAlertAsync(source, DaprNames.Topics.ConnectorSyncFailed,
                new ConnectorSyncFailed(Connector, source.Name, consecutiveFailures, error ?? "unknown error", finishedAt));
        }
        else if (outcome == SyncOutcome.Completed && failuresBefore >= threshold)
        {
            // The failure was announced, so its end is too: the notifications service closes the incident.
            await PublishAlertAsync(source, DaprNames.Topics.ConnectorSyncRecovered,
                new ConnectorSyncRecovered(Connector, source.Name, failuresBefore, finishedAt));
        }
        return result;
    }

    // Alerting must not hang shutdown or mask the run's own result, so this is best effort with its own timeout.
    private async Task PublishAlertAsync<T>(IDocumentSource source, string topic, T alert) where T : class
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30), _timeProvider);
            await _publisher.PublishAsync(topic, alert, timeout.Token);
        }
        catch (Exception exception)
        {
            _logger.LogError(exception, "Publishing {Topic} for {Source} failed", topic, source.Name);
        }
    }

    private SyncRunResult Skipped(IDocumentSource source, string runId, DateTimeOffset startedAt, SyncOutcome outcome)
    {
        var result = new SyncRunResult(source.Name, runId, outcome, startedAt, _timeProvider.GetUtcNow(), SyncCounts.None, null);
        _status.RunSkipped(result);
        _metrics.RunFinished(source.Name, outcome.ToString(), TimeSpan.Zero);
        _logger.LogInformation("Sync of {Source} skipped: {Outcome}", source.Name, outcome);
        return result;
    }

    private static string Describe(Exception exception)
    {
        var inner = exception is SourceReadException or SourceContentException ? exception.InnerException ?? exception : exception;
        return $"{inner.GetType().Name}: {inner.Message}";
    }

    /// <summary>The state of one run; not shared between runs.</summary>
    private sealed class Run(SyncRunner host, IDocumentSource source, string runId, CancellationToken token)
    {
        // Items handed on in this run, so a re-read after a transient listing error does not repeat them.
        private readonly HashSet<string> _handled = new(StringComparer.Ordinal);
        private readonly string _eventSource = host._options.EventSourceFor(source.Name);
        private string? _committed;
        private string? _etag;
        private bool _progressed;
        private int _discovered;
        private int _removed;
        private int _rejected;
        private int _deadLettered;
        private long _bytes;
        private int _checkpointsStored;

        public SyncCounts Counts => new(_discovered, _removed, _rejected, _deadLettered, _bytes, _checkpointsStored);

        public async Task<SyncOutcome> ExecuteAsync()
        {
            var stored = await RetryAsync("load the checkpoint", () => host._checkpoints.LoadAsync(host.Connector, source.Name, token));
            _committed = stored?.Checkpoint.Value;
            _etag = stored?.ETag;
            if (stored is not null)
            {
                host._status.CheckpointStored(source.Name, stored.Checkpoint);
            }

            var readFailures = 0;
            while (true)
            {
                try
                {
                    _progressed = false;
                    return await ReadOnceAsync();
                }
                catch (SourceReadException exception) when (TransientErrors.IsTransient(exception.InnerException!, token))
                {
                    readFailures = _progressed ? 1 : readFailures + 1;
                    if (readFailures >= host._options.MaxReadAttempts)
                    {
                        throw;
                    }
                    var delay = host._backoff.DelayAfter(exception.InnerException!, readFailures);
                    host._logger.LogWarning(exception.InnerException, "Listing {Source} failed (attempt {Attempt}); reading again from the stored checkpoint in {Delay}",
                        source.Name, readFailures, delay);
                    await Task.Delay(delay, host._timeProvider, token);
                }
            }
        }

        private async Task<SyncOutcome> ReadOnceAsync()
        {
            await host._rateLimiters.AcquireAsync(source.Name, token);
            IAsyncEnumerator<SourceChange> changes;
            try
            {
                changes = source.ReadChangesAsync(_committed, token).GetAsyncEnumerator(token);
            }
            catch (Exception exception) when (!token.IsCancellationRequested)
            {
                throw new SourceReadException(exception);
            }
            await using (changes)
            {
                while (true)
                {
                    bool more;
                    try
                    {
                        more = await changes.MoveNextAsync();
                    }
                    catch (Exception exception) when (!token.IsCancellationRequested)
                    {
                        throw new SourceReadException(exception);
                    }
                    if (!more)
                    {
                        return SyncOutcome.Completed;
                    }
                    _progressed = true;
                    switch (changes.Current)
                    {
                        case SourceDocument document:
                            await HandleDocumentAsync(document);
                            break;
                        case SourceTombstone tombstone:
                            await HandleTombstoneAsync(tombstone);
                            break;
                        case SourceUnreadable unreadable:
                            await HandleUnreadableAsync(unreadable);
                            break;
                        case SourceCheckpoint checkpoint:
                            if (!await CommitAsync(checkpoint))
                            {
                                return SyncOutcome.CheckpointConflict;
                            }
                            break;
                    }
                }
            }
        }

        private async Task HandleDocumentAsync(SourceDocument document)
        {
            var handledKey = "document:" + document.SourceId;
            if (_handled.Contains(handledKey))
            {
                return;
            }
            using var activity = ConnectorTelemetry.ActivitySource.StartActivity("connector.document");
            activity?.SetTag(ConnectorTelemetry.SourceTag, source.Name);
            activity?.SetTag(ConnectorTelemetry.SourceIdTag, document.SourceId);

            var rejection = string.IsNullOrWhiteSpace(document.SourceId) ? "The source gave no source id."
                : string.IsNullOrWhiteSpace(document.FileName) ? "The source gave no file name."
                : host._filter.Check(source.Name, document);
            if (rejection is not null)
            {
                await RejectAsync(document, rejection);
                _handled.Add(handledKey);
                activity?.SetTag(ConnectorTelemetry.OutcomeTag, "rejected");
                return;
            }

            Exception? failure = null;
            var attempt = 1;
            for (; ; attempt++)
            {
                try
                {
                    await HandOnAsync(document);
                    _handled.Add(handledKey);
                    activity?.SetTag(ConnectorTelemetry.OutcomeTag, "discovered");
                    return;
                }
                catch (Exception rejected) when (rejected is DocumentTooLargeException or DocumentEmptyException)
                {
                    await RejectAsync(document, rejected.Message);
                    _handled.Add(handledKey);
                    activity?.SetTag(ConnectorTelemetry.OutcomeTag, "rejected");
                    return;
                }
                catch (Exception exception) when (!token.IsCancellationRequested)
                {
                    failure = exception;
                    // A refusal for good (FTP 5xx) is not asked again: the same reply would come N times.
                    if (attempt >= host._options.MaxDocumentAttempts || (exception is SourceContentException && SourceFailures.IsPermanent(exception)))
                    {
                        break;
                    }
                    var delay = host._backoff.DelayAfter(exception, attempt);
                    host._logger.LogWarning(exception, "Document {SourceId} of {Source} failed (attempt {Attempt}); retrying in {Delay}",
                        document.SourceId, source.Name, attempt, delay);
                    await Task.Delay(delay, host._timeProvider, token);
                }
            }

            if (failure is not SourceContentException)
            {
                // The blob store or pub/sub is failing, not this document: fail the run so the checkpoint stays put.
                throw new InvalidOperationException(
                    $"Handing on document '{document.SourceId}' of '{source.Name}' failed {attempt} times: {failure.Message}", failure);
            }
            await DeadLetterAsync(document, Describe(failure), attempt);
            _handled.Add(handledKey);
            activity?.SetTag(ConnectorTelemetry.OutcomeTag, "dead-lettered");
        }

        private async Task HandOnAsync(SourceDocument document)
        {
            await host._rateLimiters.AcquireAsync(source.Name, token);
            var sourceId = QualifiedId(document.SourceId);
            // One key per document and run: retries in the run overwrite it, a rerun after a crash writes anew.
            var key = $"{Sanitise(host.Connector)}-{StateKeys.Hash(source.Name + "\n" + document.SourceId)}-{runId}";

            Stream raw;
            using (ConnectorTelemetry.ActivitySource.StartActivity("connector.source.open"))
            {
                try
                {
                    raw = await document.OpenContentAsync(token);
                }
                catch (Exception exception) when (!token.IsCancellationRequested)
                {
                    throw new SourceContentException(exception);
                }
            }

            BlobReference blob;
            await using (var content = new SourceContentStream(raw, host._filter.MaxSizeBytes(source.Name), token))
            using (var write = ConnectorTelemetry.ActivitySource.StartActivity("connector.blob.write"))
            {
                // A failed write (the source's read, the size cap, the blob store) removes its own chunks.
                blob = await host._contentStore.WriteAsync(key, content, token);
                write?.SetTag("kmrl.bytes", blob.Size);
                write?.SetTag("kmrl.chunks", blob.ChunkCount);
            }
            if (blob.Size == 0)
            {
                // Sources that cannot tell the size before reading (an encoded mail part) learn it here.
                await DeleteEmptyAsync(blob);
                throw new DocumentEmptyException();
            }

            var discovered = new DocumentDiscovered(
                IdempotencyKey.For(_eventSource, sourceId, blob.Sha256),
                _eventSource,
                sourceId,
                document.FileName,
                DocumentFilter.ContentTypeOf(document),
                blob.Size,
                blob.Sha256,
                blob,
                Metadata(document.Metadata),
                host._timeProvider.GetUtcNow());
            using (ConnectorTelemetry.ActivitySource.StartActivity("connector.publish"))
            {
                var topic = _discovered < host._options.InteractiveDocumentsPerRun
                    ? DaprNames.Topics.DocumentDiscovered
                    : DaprNames.Topics.DocumentDiscoveredBulk;
                await host._publisher.PublishAsync(topic, discovered, token);
            }
            _discovered++;
            _bytes += blob.Size;
            host._metrics.Discovered(source.Name, blob.Size);
        }

        private async Task DeleteEmptyAsync(BlobReference blob)
        {
            try
            {
                await host._contentStore.DeleteAsync(blob, token);
            }
            catch (Exception exception) when (!token.IsCancellationRequested)
            {
                host._logger.LogWarning(exception, "Could not delete the empty blob {BlobKey}", blob.Key);
            }
        }

        private async Task HandleTombstoneAsync(SourceTombstone tombstone)
        {
            var handledKey = "tombstone:" + tombstone.SourceId;
            if (_handled.Contains(handledKey))
            {
                return;
            }
            var removed = new DocumentRemovedAtSource(
                _eventSource, QualifiedId(tombstone.SourceId), tombstone.Reason, Metadata(tombstone.Metadata), host._timeProvider.GetUtcNow());
            using (ConnectorTelemetry.ActivitySource.StartActivity("connector.publish"))
            {
                await RetryAsync("publish a removal", async () =>
                {
                    await host._publisher.PublishAsync(DaprNames.Topics.DocumentRemovedAtSource, removed, token);
                    return true;
                });
            }
            _handled.Add(handledKey);
            _removed++;
            host._metrics.Removed(source.Name);
        }

        private async Task<bool> CommitAsync(SourceCheckpoint checkpoint)
        {
            var record = new CheckpointRecord(checkpoint.Value, host._timeProvider.GetUtcNow(), runId);
            var etag = await RetryAsync("store the checkpoint",
                () => host._checkpoints.TrySaveAsync(host.Connector, source.Name, record, _etag, token));
            if (etag is null)
            {
                host._logger.LogWarning("The checkpoint of {Source} was advanced by another writer; run {RunId} stops without overwriting it",
                    source.Name, runId);
                return false;
            }
            _etag = etag;
            _committed = checkpoint.Value;
            _checkpointsStored++;
            host._status.CheckpointStored(source.Name, record);
            if (checkpoint.AfterCommitAsync is { } afterCommit)
            {
                try
                {
                    await afterCommit(token);
                }
                catch (Exception exception) when (!token.IsCancellationRequested)
                {
                    // The items are handed on and the checkpoint is stored; a failed follow-up (moving mail) is only logged.
                    host._logger.LogWarning(exception, "The after-commit step of {Source} failed", source.Name);
                }
            }
            return true;
        }

        private async Task RejectAsync(SourceDocument document, string reason)
        {
            var at = host._timeProvider.GetUtcNow();
            var item = new RejectedItem(host.Connector, source.Name, document.SourceId ?? "", document.FileName ?? "", reason, at);
            await RetryAsync("record a rejection", async () =>
            {
                await host._skippedItems.RecordRejectedAsync(item, token);
                return true;
            });
            _rejected++;
            host._metrics.Rejected(source.Name);
            host._status.ItemSkipped(source.Name, new SkippedItem("rejected", item.SourceId, item.FileName, reason, 0, at));
            host._logger.LogInformation("Document {SourceId} ({FileName}) of {Source} rejected: {Reason}", item.SourceId, item.FileName, source.Name, reason);
        }

        private async Task HandleUnreadableAsync(SourceUnreadable unreadable)
        {
            var handledKey = "unreadable:" + unreadable.SourceId;
            if (_handled.Contains(handledKey))
            {
                return;
            }
            await DeadLetterAsync(unreadable.SourceId, string.Empty, unreadable.Reason, unreadable.Attempts);
            _handled.Add(handledKey);
        }

        private Task DeadLetterAsync(SourceDocument document, string reason, int attempts) =>
            DeadLetterAsync(document.SourceId, document.FileName, reason, attempts);

        private async Task DeadLetterAsync(string sourceId, string fileName, string reason, int attempts)
        {
            var at = host._timeProvider.GetUtcNow();
            var item = new DeadLetteredItem(host.Connector, source.Name, sourceId, fileName, reason, attempts, at);
            await RetryAsync("record a dead letter", async () =>
            {
                await host._skippedItems.RecordDeadLetterAsync(item, token);
                return true;
            });
            _deadLettered++;
            host._metrics.DeadLettered(source.Name);
            host._status.ItemSkipped(source.Name, new SkippedItem("dead-lettered", item.SourceId, item.FileName, reason, attempts, at));
            host._logger.LogError("Document {SourceId} ({FileName}) of {Source} dead-lettered after {Attempts} attempts: {Reason}",
                item.SourceId, item.FileName, source.Name, attempts, reason);
        }

        /// <summary>Retries a call to the host's own infrastructure (state store, pub/sub) with _backoff.</summary>
        private async Task<T> RetryAsync<T>(string what, Func<Task<T>> call)
        {
            for (var attempt = 1; ; attempt++)
            {
                try
                {
                    return await call();
                }
                catch (Exception exception) when (!token.IsCancellationRequested && attempt < host._options.MaxPublishAttempts)
                {
                    var delay = host._backoff.DelayFor(attempt);
                    host._logger.LogWarning(exception, "Could not {What} for {Source} (attempt {Attempt}); retrying in {Delay}", what, source.Name, attempt, delay);
                    await Task.Delay(delay, host._timeProvider, token);
                }
            }
        }

        // Source ids are unique within a source; events carry the source name with them so they are unique per connector.
        private string QualifiedId(string sourceId) => source.Name + "/" + sourceId;

        private Dictionary<string, string> Metadata(IReadOnlyDictionary<string, string>? metadata)
        {
            var result = metadata is null ? new Dictionary<string, string>(StringComparer.Ordinal) : new Dictionary<string, string>(metadata, StringComparer.Ordinal);
            result.TryAdd("kmrl.connector", host.Connector);
            result.TryAdd("kmrl.source", source.Name);
            return result;
        }

        private static string Sanitise(string value)
        {
            var chars = value.Select(c => char.IsAsciiLetterOrDigit(c) || c == '-' ? c : '-').Take(60).ToArray();
            return new string(chars);
        }
    }
}

/// <summary>Listing the source's changes failed (as opposed to handling one of them).</summary>
internal sealed class SourceReadException(Exception inner) : Exception(inner.Message, inner);
