using Kmrl.Connectors.Hosting;
using Kmrl.Connectors.Observability;
using Kmrl.Connectors.Ports;
using Microsoft.Extensions.Logging;

namespace Kmrl.Connectors.Sync;

/// <summary>
/// One run's read loop: load the checkpoint, walk the change stream (re-reading from the stored checkpoint after a
/// transient listing error), dispatch each change, and store each checkpoint marker only once everything before it is
/// handed on or recorded. Documents are tried <see cref="ConnectorHostOptions.MaxDocumentAttempts"/> times; one the
/// source cannot read is dead-lettered, while a failing blob store or pub/sub fails the run so the checkpoint stays put.
/// </summary>
internal sealed class SyncRun(SyncRunContext run, SyncRunServices services)
{
    private readonly ConnectorHostOptions _options = services.Options.Value;
    private readonly ILogger _logger = services.Logger;
    private string? _committed;
    private string? _etag;
    private bool _progressed;

    private CancellationToken Token => run.Token;

    public async Task<SyncOutcome> ExecuteAsync()
    {
        var stored = await services.Retry.RunAsync(run, "load the checkpoint",
            () => services.Checkpoints.LoadAsync(run.Connector, run.SourceName, Token));
        _committed = stored?.Checkpoint.Value;
        _etag = stored?.ETag;
        if (stored is not null)
        {
            services.Status.CheckpointStored(run.SourceName, stored.Checkpoint);
        }

        var readFailures = 0;
        while (true)
        {
            try
            {
                _progressed = false;
                return await ReadOnceAsync();
            }
            catch (SourceReadException exception) when (TransientErrors.IsTransient(exception.InnerException!, Token))
            {
                readFailures = _progressed ? 1 : readFailures + 1;
                if (readFailures >= _options.MaxReadAttempts)
                {
                    throw;
                }
                var delay = services.Backoff.DelayAfter(exception.InnerException!, readFailures);
                _logger.LogWarning(exception.InnerException, "Listing {Source} failed (attempt {Attempt}); reading again from the stored checkpoint in {Delay}",
                    run.SourceName, readFailures, delay);
                await Task.Delay(delay, services.Time, Token);
            }
        }
    }

    private async Task<SyncOutcome> ReadOnceAsync()
    {
        await services.RateLimiters.AcquireAsync(run.SourceName, Token);
        IAsyncEnumerator<SourceChange> changes;
        try
        {
            changes = run.Source.ReadChangesAsync(_committed, Token).GetAsyncEnumerator(Token);
        }
        catch (Exception exception) when (!Token.IsCancellationRequested)
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
                catch (Exception exception) when (!Token.IsCancellationRequested)
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
        if (run.Handled.Contains(handledKey))
        {
            return;
        }
        using var activity = ConnectorTelemetry.ActivitySource.StartActivity("connector.document");
        activity?.SetTag(ConnectorTelemetry.SourceTag, run.SourceName);
        activity?.SetTag(ConnectorTelemetry.SourceIdTag, document.SourceId);

        var rejection = string.IsNullOrWhiteSpace(document.SourceId) ? "The source gave no source id."
            : string.IsNullOrWhiteSpace(document.FileName) ? "The source gave no file name."
            : services.Filter.Check(run.SourceName, document);
        if (rejection is not null)
        {
            await services.Skipped.RejectAsync(run, document.SourceId ?? "", document.FileName ?? "", rejection);
            run.Handled.Add(handledKey);
            activity?.SetTag(ConnectorTelemetry.OutcomeTag, "rejected");
            return;
        }

        Exception? failure = null;
        var attempt = 1;
        for (; ; attempt++)
        {
            try
            {
                await services.HandOff.HandOnAsync(run, document);
                run.Handled.Add(handledKey);
                activity?.SetTag(ConnectorTelemetry.OutcomeTag, "discovered");
                return;
            }
            catch (Exception rejected) when (rejected is DocumentTooLargeException or DocumentEmptyException)
            {
                await services.Skipped.RejectAsync(run, document.SourceId, document.FileName, rejected.Message);
                run.Handled.Add(handledKey);
                activity?.SetTag(ConnectorTelemetry.OutcomeTag, "rejected");
                return;
            }
            catch (Exception exception) when (!Token.IsCancellationRequested)
            {
                failure = exception;
                // A refusal for good (FTP 5xx) is not asked again: the same reply would come N times.
                if (attempt >= _options.MaxDocumentAttempts || (exception is SourceContentException && SourceFailures.IsPermanent(exception)))
                {
                    break;
                }
                var delay = services.Backoff.DelayAfter(exception, attempt);
                _logger.LogWarning(exception, "Document {SourceId} of {Source} failed (attempt {Attempt}); retrying in {Delay}",
                    document.SourceId, run.SourceName, attempt, delay);
                await Task.Delay(delay, services.Time, Token);
            }
        }

        if (failure is not SourceContentException)
        {
            // The blob store or pub/sub is failing, not this document: fail the run so the checkpoint stays put.
            throw new InvalidOperationException(
                $"Handing on document '{document.SourceId}' of '{run.SourceName}' failed {attempt} times: {failure.Message}", failure);
        }
        await services.Skipped.DeadLetterAsync(run, document.SourceId, document.FileName, SyncRunner.Describe(failure), attempt);
        run.Handled.Add(handledKey);
        activity?.SetTag(ConnectorTelemetry.OutcomeTag, "dead-lettered");
    }

    private async Task HandleTombstoneAsync(SourceTombstone tombstone)
    {
        var handledKey = "tombstone:" + tombstone.SourceId;
        if (run.Handled.Contains(handledKey))
        {
            return;
        }
        await services.Retry.RunAsync(run, "publish a removal", () => services.HandOff.PublishRemovalAsync(run, tombstone));
        run.Handled.Add(handledKey);
    }

    private async Task HandleUnreadableAsync(SourceUnreadable unreadable)
    {
        var handledKey = "unreadable:" + unreadable.SourceId;
        if (run.Handled.Contains(handledKey))
        {
            return;
        }
        await services.Skipped.DeadLetterAsync(run, unreadable.SourceId, string.Empty, unreadable.Reason, unreadable.Attempts);
        run.Handled.Add(handledKey);
    }

    private async Task<bool> CommitAsync(SourceCheckpoint checkpoint)
    {
        var record = new CheckpointRecord(checkpoint.Value, services.Time.GetUtcNow(), run.RunId);
        var etag = await services.Retry.RunAsync(run, "store the checkpoint",
            () => services.Checkpoints.TrySaveAsync(run.Connector, run.SourceName, record, _etag, Token));
        if (etag is null)
        {
            _logger.LogWarning("The checkpoint of {Source} was advanced by another writer; run {RunId} stops without overwriting it",
                run.SourceName, run.RunId);
            return false;
        }
        _etag = etag;
        _committed = checkpoint.Value;
        run.Counts.AddCheckpoint();
        services.Status.CheckpointStored(run.SourceName, record);
        if (checkpoint.AfterCommitAsync is { } afterCommit)
        {
            try
            {
                await afterCommit(Token);
            }
            catch (Exception exception) when (!Token.IsCancellationRequested)
            {
                // The items are handed on and the checkpoint is stored; a failed follow-up (moving mail) is only logged.
                _logger.LogWarning(exception, "The after-commit step of {Source} failed", run.SourceName);
            }
        }
        return true;
    }
}

/// <summary>Listing the source's changes failed (as opposed to handling one of them).</summary>
internal sealed class SourceReadException(Exception inner) : Exception(inner.Message, inner);
