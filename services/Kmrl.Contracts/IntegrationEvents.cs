namespace Kmrl.Contracts;

/// <summary>Sources a document can come from; the value is what events and the catalog carry.</summary>
public static class DocumentSources
{
    public const string Upload = "upload";
    public const string Email = "email";
    public const string SharePoint = "sharepoint";
    public const string Maximo = "maximo";
    public const string MaximoExport = "maximo-export";
    public const string WhatsApp = "whatsapp";
    /// <summary>A scanner's hot folder (local-folder-connector).</summary>
    public const string LocalFolder = "local-folder";
}

/// <summary>A connector found a document and stored its content in the blob store.</summary>
public sealed record DocumentDiscovered(
    string IdempotencyKey,
    string Source,
    string SourceId,
    string FileName,
    string ContentType,
    long Size,
    string Sha256,
    BlobReference Blob,
    IReadOnlyDictionary<string, string> SourceMetadata,
    DateTimeOffset DiscoveredAt)
{
    public int SchemaVersion { get; init; } = 1;
}

/// <summary>A source item is gone (deleted or moved away); the catalog marks that provenance removed.</summary>
public sealed record DocumentRemovedAtSource(
    string Source,
    string SourceId,
    string Reason,
    IReadOnlyDictionary<string, string> SourceMetadata,
    DateTimeOffset RemovedAt)
{
    public int SchemaVersion { get; init; } = 1;
}

/// <summary>The pipeline finished a document: it is catalogued, classified and routed.</summary>
public sealed record DocumentProcessed(
    string DocumentId,
    string Sha256,
    string FileName,
    string DocumentType,
    IReadOnlyList<string> Departments,
    string Language,
    string Summary,
    DateTimeOffset ProcessedAt)
{
    public int SchemaVersion { get; init; } = 1;
}

/// <summary>The pipeline gave up on a document; <see cref="Stage"/> and <see cref="Reason"/> say why.</summary>
public sealed record DocumentRejected(
    string DocumentId,
    string IdempotencyKey,
    string Source,
    string SourceId,
    string FileName,
    string Stage,
    string Reason,
    DateTimeOffset RejectedAt)
{
    public int SchemaVersion { get; init; } = 1;
}

/// <summary>Published on a department's routing topic for every document that department must see.</summary>
public sealed record DocumentRouted(
    string DocumentId,
    string Department,
    string DocumentType,
    string FileName,
    string Summary,
    IReadOnlyList<string> Evidence,
    DateTimeOffset RoutedAt)
{
    public int SchemaVersion { get; init; } = 1;
}

/// <summary>A document names a deadline inside the configured horizon.</summary>
public sealed record DocumentDeadlineApproaching(
    string DocumentId,
    string FileName,
    DateOnly Deadline,
    IReadOnlyList<string> Departments,
    DateTimeOffset RaisedAt)
{
    public int SchemaVersion { get; init; } = 1;
}

/// <summary>A connector failed several runs in a row; for alerting.</summary>
public sealed record ConnectorSyncFailed(
    string Connector,
    string Source,
    int ConsecutiveFailures,
    string Error,
    DateTimeOffset FailedAt)
{
    public int SchemaVersion { get; init; } = 1;
}

/// <summary>A source that had published <see cref="ConnectorSyncFailed"/> completed a run again; for the recovery message.</summary>
public sealed record ConnectorSyncRecovered(
    string Connector,
    string Source,
    int FailedRuns,
    DateTimeOffset RecoveredAt)
{
    public int SchemaVersion { get; init; } = 1;
}

/// <summary>
/// A connector gave up on an item of a source after its attempts and listed it in its dead letters
/// (<c>GET /connector/dead-letters</c>); for alerting. Published once per dead-lettering, after the dead letter is
/// stored; <see cref="DeadLetterId"/> with <see cref="DeadLetteredAt"/> names the occurrence, so a redelivery is recognised.
/// </summary>
/// <param name="DeadLetterId">The id the connector's dead-letter routes take (stable per source and source id).</param>
public sealed record ConnectorItemDeadLettered(
    string Connector,
    string Source,
    string DeadLetterId,
    string SourceId,
    string FileName,
    string Reason,
    int Attempts,
    DateTimeOffset DeadLetteredAt)
{
    public int SchemaVersion { get; init; } = 1;
}

/// <summary>
/// A document's deadline was acknowledged, so its reminders stop. document-api owns the record (who, when) beside the
/// document; a reminder link's acknowledgement arrives there through this event too, and the first one stands.
/// </summary>
/// <param name="Via"><see cref="ViaStaff"/> (the staff pages or the API) or <see cref="ViaReminderLink"/>.</param>
public sealed record DeadlineAcknowledged(
    string DocumentId,
    DateOnly Deadline,
    string AcknowledgedBy,
    string Via,
    DateTimeOffset AcknowledgedAt)
{
    public const string ViaStaff = "staff";
    public const string ViaReminderLink = "reminder-link";

    public int SchemaVersion { get; init; } = 1;
}

/// <summary>
/// A document-api pipeline replica has more documents waiting than its degraded depth: reported every interval while
/// it does, so the incident it opens closes once no replica reports any more (a replica that died stops reporting too).
/// </summary>
public sealed record PipelineBacklogHigh(
    string Replica,
    int Depth,
    int Threshold,
    DateTimeOffset ReportedAt)
{
    public int SchemaVersion { get; init; } = 1;
}
