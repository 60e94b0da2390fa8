using Kmrl.Connectors.Hosting;
using Kmrl.Connectors.Ports;
using Kmrl.Connectors.Sync;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Kmrl.Connectors.Apis;

/// <summary>A connector dead letter as <c>GET /connector/dead-letters</c> lists it.</summary>
/// <param name="Replayable">Whether <c>POST /connector/dead-letters/{id}/replay</c> can hand it on again (an inbox source).</param>
public sealed record ConnectorDeadLetter(
    string Id,
    string Source,
    string SourceId,
    string FileName,
    string Reason,
    int Attempts,
    DateTimeOffset DeadLetteredAt,
    bool Replayable);

public sealed record DeadLetterReplayResponse(string Id, string Source, string SourceId);

/// <summary>
/// The connector's dead letters, shaped like document-api's <c>GET /dead-letters</c> and replay (operator key,
/// ProblemDetails). A replay puts an inbox item back in its inbox and requests a sync; a pull source cannot fetch one
/// item again (its checkpoint is past it), so its dead letters are listed for the operator, not replayed.
/// </summary>
internal static partial class ConnectorDeadLettersApi
{
    public static async Task<Ok<IReadOnlyList<ConnectorDeadLetter>>> ListAsync(
        IDeadLetterLog deadLetters, SyncScheduler scheduler, IOptions<ConnectorHostOptions> options, CancellationToken cancellationToken)
    {
        var letters = await deadLetters.ListAsync(options.Value.ConnectorName, cancellationToken);
        return TypedResults.Ok<IReadOnlyList<ConnectorDeadLetter>>(letters.Select(letter => new ConnectorDeadLetter(
            letter.Id, letter.Item.Source, letter.Item.SourceId, letter.Item.FileName, letter.Item.Reason, letter.Item.Attempts,
            letter.Item.DeadLetteredAt, scheduler.Find(letter.Item.Source) is IInboxDrain)).ToList());
    }

    public static async Task<Results<Accepted<DeadLetterReplayResponse>, ProblemHttpResult>> ReplayAsync(
        string id,
        IDeadLetterLog deadLetters,
        IInboxStore inbox,
        SyncScheduler scheduler,
        IOptions<ConnectorHostOptions> options,
        ILoggerFactory loggerFactory,
        CancellationToken cancellationToken)
    {
        var connector = options.Value.ConnectorName;
        var letter = await deadLetters.GetAsync(connector, id, cancellationToken);
        if (letter is null)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Unknown dead letter",
                detail: $"This connector has no dead letter '{id}'. GET /connector/dead-letters lists them.");
        }
        var item = letter.Item;
        if (scheduler.Find(item.Source) is not IInboxDrain)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Not replayable",
                detail: $"Source '{item.Source}' reads its changes since a checkpoint, and the checkpoint is past '{item.SourceId}': the " +
                        "connector cannot fetch that one item again. It is read again when it changes at the source. The dead letter is kept.");
        }
        if (!await inbox.ReopenAsync(connector, item.Source, item.SourceId, cancellationToken))
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Not replayable",
                detail: $"The inbox of '{item.Source}' no longer holds '{item.SourceId}' as a finished item, so there is nothing to hand on again.");
        }
        await deadLetters.RemoveAsync(connector, id, cancellationToken);
        scheduler.Request(item.Source);
        LogReplayed(loggerFactory.CreateLogger(typeof(ConnectorDeadLettersApi)), id, item.Source, item.SourceId);
        return TypedResults.Accepted((string?)null, new DeadLetterReplayResponse(id, item.Source, item.SourceId));
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Dead letter {DeadLetterId} ({SourceId} of {Source}) replayed: back in the inbox, sync requested")]
    private static partial void LogReplayed(ILogger logger, string deadLetterId, string source, string sourceId);
}
