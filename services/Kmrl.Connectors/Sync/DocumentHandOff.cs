using Kmrl.BuildingBlocks.PubSub;
using Kmrl.ClaimCheck;
using Kmrl.Connectors.Dapr;
using Kmrl.Connectors.Hosting;
using Kmrl.Connectors.Observability;
using Kmrl.Contracts;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Kmrl.Connectors.Sync;

/// <summary>
/// One attempt at handing on one document: open it at the source, count and cap its bytes on the way into the claim
/// check, build <see cref="DocumentDiscovered"/> and publish it. Also publishes a removal. Retries are the run's.
/// </summary>
internal sealed class DocumentHandOff(
    IDocumentContentStore contentStore,
    IEventPublisher publisher,
    DocumentFilter filter,
    SourceRateLimiters rateLimiters,
    ConnectorMetrics metrics,
    IOptions<ConnectorHostOptions> options,
    TimeProvider timeProvider,
    ILogger<DocumentHandOff> logger)
{
    private readonly ConnectorHostOptions _options = options.Value;

    /// <summary>
    /// Throws <see cref="SourceContentException"/> when the source failed, <see cref="DocumentTooLargeException"/> or
    /// <see cref="DocumentEmptyException"/> when the content is not one to hand on, anything else when the host's own
    /// infrastructure failed. A failed blob write has already removed its chunks.
    /// </summary>
    public async Task HandOnAsync(SyncRunContext run, SourceDocument document)
    {
        var token = run.Token;
        await rateLimiters.AcquireAsync(run.SourceName, token);
        // One key per document and run: retries in the run overwrite it, a rerun after a crash writes anew.
        var key = $"{Sanitise(run.Connector)}-{StateKeys.Hash(run.SourceName + "\n" + document.SourceId)}-{run.RunId}";

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
        await using (var content = new SourceContentStream(raw, filter.MaxSizeBytes(run.SourceName), token))
        using (var write = ConnectorTelemetry.ActivitySource.StartActivity("connector.blob.write"))
        {
            blob = await contentStore.WriteAsync(key, content, token);
            write?.SetTag("kmrl.bytes", blob.Size);
            write?.SetTag("kmrl.chunks", blob.ChunkCount);
        }
        if (blob.Size == 0)
        {
            // Sources that cannot tell the size before reading (an encoded mail part) learn it here.
            await DeleteEmptyAsync(blob, token);
            throw new DocumentEmptyException();
        }

        var discovered = new DocumentDiscovered(
            IdempotencyKey.For(run.EventSource, run.QualifiedId(document.SourceId), blob.Sha256),
            run.EventSource,
            run.QualifiedId(document.SourceId),
            document.FileName,
            DocumentFilter.ContentTypeOf(document),
            blob.Size,
            blob.Sha256,
            blob,
            run.Metadata(document.Metadata),
            timeProvider.GetUtcNow());
        using (ConnectorTelemetry.ActivitySource.StartActivity("connector.publish"))
        {
            var topic = run.Counts.Discovered < _options.InteractiveDocumentsPerRun
                ? DaprNames.Topics.DocumentDiscovered
                : DaprNames.Topics.DocumentDiscoveredBulk;
            await publisher.PublishAsync(topic, discovered, token);
        }
        run.Counts.AddDiscovered(blob.Size);
        metrics.Discovered(run.SourceName, blob.Size);
    }

    public async Task PublishRemovalAsync(SyncRunContext run, SourceTombstone tombstone)
    {
        var removed = new DocumentRemovedAtSource(
            run.EventSource, run.QualifiedId(tombstone.SourceId), tombstone.Reason, run.Metadata(tombstone.Metadata), timeProvider.GetUtcNow());
        using (ConnectorTelemetry.ActivitySource.StartActivity("connector.publish"))
        {
            await publisher.PublishAsync(DaprNames.Topics.DocumentRemovedAtSource, removed, run.Token);
        }
        run.Counts.AddRemoved();
        metrics.Removed(run.SourceName);
    }

    private async Task DeleteEmptyAsync(BlobReference blob, CancellationToken token)
    {
        try
        {
            await contentStore.DeleteAsync(blob, token);
        }
        catch (Exception exception) when (!token.IsCancellationRequested)
        {
            logger.LogWarning(exception, "Could not delete the empty blob {BlobKey}", blob.Key);
        }
    }

    private static string Sanitise(string value)
    {
        var chars = value.Select(c => char.IsAsciiLetterOrDigit(c) || c == '-' ? c : '-').Take(60).ToArray();
        return new string(chars);
    }
}
