using Kmrl.Contracts;

namespace Kmrl.Connectors.Hosting;

/// <summary>Settings of the connector host (section <c>Connector</c>). Validated at start-up.</summary>
public sealed class ConnectorHostOptions
{
    public const string SectionName = "Connector";

    /// <summary>Set by <c>AddConnectorHost</c>: lock and checkpoint keys, metric tags, <c>ConnectorSyncFailed.Connector</c>.</summary>
    public string ConnectorName { get; set; } = "";

    /// <summary>Set by <c>AddConnectorHost</c>: the cron input binding; daprd POSTs to <c>/&lt;name&gt;</c>.</summary>
    public string ScheduleBindingName { get; set; } = "";

    /// <summary>
    /// <c>Source</c> of the events (a <c>DocumentSources</c> value such as <c>email</c>); defaults to the connector name.
    /// A source can override it under <see cref="Sources"/>.
    /// </summary>
    public string? EventSource { get; set; }

    /// <summary>
    /// How long a replica holds a source's lock. Dapr's lock API has no renewal (a second TryLock by the same owner
    /// fails), so instead a run stops itself <see cref="LeaseSafetyMargin"/> before the lease ends: the lease always
    /// outlives the run. A stopped run keeps its stored checkpoint; the next run continues from it.
    /// </summary>
    public TimeSpan LockLeaseDuration { get; set; } = TimeSpan.FromMinutes(15);

    public TimeSpan LeaseSafetyMargin { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Tries per document (open, read, blob write) before it is dead-lettered.</summary>
    public int MaxDocumentAttempts { get; set; } = 3;

    /// <summary>Tries of a transient error while listing changes before the run fails.</summary>
    public int MaxReadAttempts { get; set; } = 5;

    /// <summary>
    /// Documents a run publishes on the interactive lane (<c>document-discovered</c>) before the rest of the run goes
    /// on the bulk lane (<c>document-discovered-bulk</c>): new mail or a webhook's media is a handful, an import is
    /// thousands, and the pipeline admits bulk documents only a few at a time.
    /// </summary>
    public int InteractiveDocumentsPerRun { get; set; } = 20;

    /// <summary>Tries of a publish or a state write before the run fails (the checkpoint then stays put).</summary>
    public int MaxPublishAttempts { get; set; } = 5;

    /// <summary>First retry delay; it doubles per attempt up to <see cref="RetryMaxDelay"/>, then jitter takes 0-50 % off.</summary>
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromSeconds(1);

    public TimeSpan RetryMaxDelay { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>Longest wait between restarts of a failed push trigger.</summary>
    public TimeSpan PushTriggerMaxDelay { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Health turns Degraded (and ConnectorSyncFailed is published) after this many failed runs in a row.</summary>
    public int DegradedAfterConsecutiveFailures { get; set; } = 3;

    public RateLimitOptions RateLimit { get; set; } = new();

    public DocumentFilterOptions Filters { get; set; } = new();

    /// <summary>Per source (by <c>IDocumentSource.Name</c>) overrides.</summary>
    public Dictionary<string, SourceOptions> Sources { get; set; } = new(StringComparer.Ordinal);

    public string EventSourceFor(string sourceName) =>
        Sources.TryGetValue(sourceName, out var source) && !string.IsNullOrWhiteSpace(source.EventSource)
            ? source.EventSource
            : string.IsNullOrWhiteSpace(EventSource) ? ConnectorName : EventSource;

    public DocumentFilterOptions FiltersFor(string sourceName) =>
        Sources.TryGetValue(sourceName, out var source) && source.Filters is not null ? source.Filters : Filters;

    public TimeSpan RunDeadline => LockLeaseDuration - LeaseSafetyMargin;
}

public sealed class SourceOptions
{
    public string? EventSource { get; set; }

    /// <summary>Replaces the connector-wide filters for this source (unset fields take the defaults).</summary>
    public DocumentFilterOptions? Filters { get; set; }
}

/// <summary>A token bucket per source: every listing and every document download takes one token.</summary>
public sealed class RateLimitOptions
{
    public int TokenLimit { get; set; } = 10;

    public int TokensPerPeriod { get; set; } = 5;

    public TimeSpan ReplenishmentPeriod { get; set; } = TimeSpan.FromSeconds(1);
}

/// <summary>
/// Which documents are handed on. Lists are null by default, meaning the defaults below; set them to replace the
/// defaults, or use the <c>Additional*</c> lists to extend them (Maximo exports add <c>.dat</c> and <c>.xml</c>).
/// </summary>
public sealed class DocumentFilterOptions
{
    public static readonly IReadOnlyList<string> DefaultExtensions =
        [".pdf", ".docx", ".doc", ".xlsx", ".xls", ".pptx", ".ppt", ".jpg", ".jpeg", ".png", ".tif", ".tiff", ".txt", ".csv", ".eml",
         ".msg", ".rtf", ".odt", ".ods", ".odp"];

    public static readonly IReadOnlyList<string> DefaultContentTypes = DocumentContentTypes.Readable;

    public List<string>? AllowedExtensions { get; set; }

    public List<string> AdditionalExtensions { get; set; } = [];

    public List<string>? AllowedContentTypes { get; set; }

    public List<string> AdditionalContentTypes { get; set; } = [];

    public long MaxSizeBytes { get; set; } = 100L * 1024 * 1024;
}
