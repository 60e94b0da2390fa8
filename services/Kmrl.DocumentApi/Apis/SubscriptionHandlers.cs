using Kmrl.Contracts;
using Kmrl.DocumentApi.Model;
using Kmrl.DocumentApi.Pipeline;
using Kmrl.DocumentApi.Ports;
using Kmrl.DocumentApi.Search;
using Kmrl.DocumentApi.Workflows;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace Kmrl.DocumentApi.Apis;

/// <summary>What daprd understands in a subscription reply: SUCCESS, RETRY or DROP (DROP goes to the dead-letter topic).</summary>
public sealed record SubscriptionReply(string Status)
{
    public static SubscriptionReply Success { get; } = new("SUCCESS");
    public static SubscriptionReply Drop { get; } = new("DROP");
}

public static partial class SubscriptionHandlers
{
    public static async Task<Ok<SubscriptionReply>> DocumentDiscoveredAsync(
        DocumentDiscovered discovered, DocumentWorkflowStarter starter, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        if (IsMalformed(discovered, loggers))
        {
            return TypedResults.Ok(SubscriptionReply.Drop);
        }
        await starter.StartAsync(DocumentIntake.FromDiscovered(discovered), null, cancellationToken);
        return TypedResults.Ok(SubscriptionReply.Success);
    }

    /// <summary>The bulk lane: the same start, once <see cref="BulkLane"/> has a slot (the delivery waits for it).</summary>
    public static async Task<Ok<SubscriptionReply>> BulkDocumentDiscoveredAsync(
        DocumentDiscovered discovered, DocumentWorkflowStarter starter, BulkLane lane, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        if (IsMalformed(discovered, loggers))
        {
            return TypedResults.Ok(SubscriptionReply.Drop);
        }
        var intake = DocumentIntake.FromDiscovered(discovered) with { Bulk = true };
        await lane.AdmitAsync(intake.DocumentId, cancellationToken);
        var started = false;
        try
        {
            started = await starter.StartAsync(intake, null, cancellationToken);
        }
        finally
        {
            if (!started)
            {
                // Final already, under way from an earlier delivery, or failed: no run of ours to wait for.
                lane.Release(intake.DocumentId);
            }
        }
        return TypedResults.Ok(SubscriptionReply.Success);
    }

    private static bool IsMalformed(DocumentDiscovered discovered, ILoggerFactory loggers)
    {
        if (string.IsNullOrWhiteSpace(discovered.IdempotencyKey) || string.IsNullOrWhiteSpace(discovered.Sha256) || discovered.Blob is null)
        {
            // Retrying cannot fix a malformed event; dropping sends it to the dead-letter topic for a person to see.
            LogMalformed(loggers.CreateLogger(typeof(SubscriptionHandlers)), discovered.Source, discovered.SourceId);
            return true;
        }
        return false;
    }

    public static async Task<Ok<SubscriptionReply>> DeadLetterAsync(
        DocumentDiscovered discovered, ICatalog catalog, TimeProvider time, CancellationToken cancellationToken)
    {
        var id = string.IsNullOrWhiteSpace(discovered.IdempotencyKey)
            ? IdempotencyKey.For(discovered.Source ?? "unknown", discovered.SourceId ?? "unknown", discovered.Sha256 ?? "unknown")
            : discovered.IdempotencyKey;
        await catalog.SaveDeadLetterAsync(new DeadLetter(id, discovered, time.GetUtcNow()), cancellationToken);
        return TypedResults.Ok(SubscriptionReply.Success);
    }

    public static async Task<Ok<SubscriptionReply>> RemovedAtSourceAsync(
        DocumentRemovedAtSource removed, ICatalog catalog, CancellationToken cancellationToken,
        [FromServices] SearchIndexer? searchIndexer = null)
    {
        if (string.IsNullOrWhiteSpace(removed.Source) || string.IsNullOrWhiteSpace(removed.SourceId))
        {
            return TypedResults.Ok(SubscriptionReply.Drop);
        }
        var touched = await catalog.MarkRemovedAtSourceAsync(removed.Source, removed.SourceId, removed.Reason, removed.RemovedAt, cancellationToken);
        // The search index shows where a document still is; a redelivery re-indexes the same records, which changes nothing.
        foreach (var record in touched)
        {
            if (searchIndexer is not null) await searchIndexer.IndexAsync(record, cancellationToken);
        }
        return TypedResults.Ok(SubscriptionReply.Success);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Dropping a malformed DocumentDiscovered from {Source}/{SourceId}")]
    private static partial void LogMalformed(ILogger logger, string? source, string? sourceId);
}
