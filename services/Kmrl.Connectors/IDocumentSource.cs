namespace Kmrl.Connectors;

/// <summary>
/// What a source connector implements: "what is new since this checkpoint, and how do I read it".
/// Everything else (scheduling, locking, claim check, publishing, checkpoint storage, retries) is the host's.
/// </summary>
public interface IDocumentSource
{
    /// <summary>Stable name of this source inside its connector (checkpoint key, metrics tag), e.g. <c>ops-mailbox/INBOX</c>.</summary>
    string Name { get; }

    /// <summary>
    /// Streams the changes after <paramref name="checkpoint"/> (null on the first run). The source yields
    /// <see cref="SourceCheckpoint"/> markers; the host stores a marker only after every change before it has been
    /// handed on, so a crash anywhere means the changes after the last stored marker are read again.
    /// </summary>
    IAsyncEnumerable<SourceChange> ReadChangesAsync(string? checkpoint, CancellationToken cancellationToken);
}

/// <summary>One element of a source's change stream.</summary>
public abstract record SourceChange;

/// <summary>A new or changed document at the source.</summary>
/// <param name="SourceId">Stable id of the item at the source (with the source name it is unique).</param>
/// <param name="DeclaredContentType">What the source says the content is; the pipeline sniffs the real type.</param>
/// <param name="Size">Size in bytes when the source knows it before reading, used by filters.</param>
/// <param name="OpenContentAsync">Opens the content as a stream; called at most once per attempt.</param>
public sealed record SourceDocument(
    string SourceId,
    string FileName,
    string? DeclaredContentType,
    long? Size,
    IReadOnlyDictionary<string, string> Metadata,
    Func<CancellationToken, Task<Stream>> OpenContentAsync) : SourceChange;

/// <summary>An item that is gone at the source (deleted, or moved out of what the connector watches).</summary>
public sealed record SourceTombstone(
    string SourceId,
    string Reason,
    IReadOnlyDictionary<string, string> Metadata) : SourceChange;

/// <summary>
/// A per-item failure in the change stream: an item the source listed but cannot read however often it tries (a mail
/// the IMAP client refuses to parse, WhatsApp media past the Cloud API's retention). The host dead-letters it with
/// <paramref name="Reason"/> and goes on, so one poison item never holds the checkpoint. <paramref name="Attempts"/>
/// is how often the source tried (0: it knew without trying).
/// </summary>
public sealed record SourceUnreadable(
    string SourceId,
    string Reason,
    int Attempts,
    IReadOnlyDictionary<string, string> Metadata) : SourceChange;

/// <summary>
/// A point in the stream that is safe to resume from once every change before it has been handed on.
/// <paramref name="AfterCommitAsync"/> runs after the checkpoint is stored (e.g. move mail to "Processed").
/// </summary>
public sealed record SourceCheckpoint(
    string Value,
    Func<CancellationToken, Task>? AfterCommitAsync = null) : SourceChange;
