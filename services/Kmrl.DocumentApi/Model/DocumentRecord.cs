using Kmrl.Contracts;

namespace Kmrl.DocumentApi.Model;

public enum DocumentStatus
{
    Processing,
    Processed,
    Rejected,
    /// <summary>This arrival was the same content as <see cref="DocumentRecord.DuplicateOf"/>; its provenance went there.</summary>
    Duplicate,
}

/// <summary>One arrival of the document: which source, which item there, and whether it is still there.</summary>
public sealed record Provenance(
    string Source,
    string SourceId,
    string FileName,
    IReadOnlyDictionary<string, string> Metadata,
    DateTimeOffset ReceivedAt,
    DateTimeOffset? RemovedAt,
    string? RemovalReason)
{
    public bool IsSame(string source, string sourceId) =>
        string.Equals(Source, source, StringComparison.Ordinal) && string.Equals(SourceId, sourceId, StringComparison.Ordinal);
}

public sealed record Rejection(string Stage, string Reason, DateTimeOffset RejectedAt);

/// <summary>A catalogued document: stored once per content (SHA-256), with every provenance it arrived by.</summary>
public sealed record DocumentRecord
{
    public required string DocumentId { get; init; }
    public required string Sha256 { get; init; }
    public required string FileName { get; init; }
    public required string ContentType { get; init; }
    public required long Size { get; init; }
    public required BlobReference Blob { get; init; }
    public required DocumentStatus Status { get; init; }
    public required IReadOnlyList<Provenance> Provenance { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public required DateTimeOffset UpdatedAt { get; init; }
    public string? Kind { get; init; }
    public string? DuplicateOf { get; init; }
    public BlobReference? TextBlob { get; init; }
    public string? Extraction { get; init; }
    /// <summary>The searchable PDF/A copy of a scan (<c>GET /documents/{id}/archive</c>), beside the original.</summary>
    public BlobReference? ArchiveBlob { get; init; }
    /// <summary>"pdfa" when <see cref="ArchiveBlob"/> is stored, else why not ("tool-missing:ocrmypdf", "failed: ..."); null for a document that is no scan.</summary>
    public string? Archive { get; init; }
    public int PageCount { get; init; }
    public IReadOnlyList<int> OcrPages { get; init; } = [];
    /// <summary>Pages that could not be read (OCR or rasterising failed); the rest of the document is catalogued.</summary>
    public IReadOnlyList<int> FailedPages { get; init; } = [];
    /// <summary>Per page: text layer, OCR or both, and why (the text-layer check's verdict, OCR confidence, rotation).</summary>
    public IReadOnlyList<PageSource> PageSources { get; init; } = [];
    /// <summary>Filled form fields (AcroForm) by their full name.</summary>
    public IReadOnlyDictionary<string, string> FormFields { get; init; } = new Dictionary<string, string>();
    /// <summary>Active content found in the file (javascript, launch, submit-form...): flagged, never run.</summary>
    public IReadOnlyList<string> ActiveContent { get; init; } = [];
    public string? Language { get; init; }
    public IReadOnlyList<PageLanguage> PageLanguages { get; init; } = [];
    public string? DocumentType { get; init; }
    public IReadOnlyList<string> Departments { get; init; } = [];
    public IReadOnlyList<string> Evidence { get; init; } = [];
    public string? Summary { get; init; }
    public KeyFields? KeyFields { get; init; }
    public Rejection? Rejection { get; init; }

    /// <summary>Workflow instance ids of reprocessing runs (the first run's id is the document id).</summary>
    public IReadOnlyList<string> WorkflowRuns { get; init; } = [];

    /// <summary>Present at every source, removed at some, or removed at all (the document itself stays).</summary>
    public string SourceStatus => Provenance.Count(p => p.RemovedAt is null) switch
    {
        0 => SourceStatuses.RemovedAtAllSources,
        var present when present == Provenance.Count => SourceStatuses.Present,
        _ => SourceStatuses.RemovedAtSomeSources,
    };
}

public static class SourceStatuses
{
    public const string Present = "present";
    public const string RemovedAtSomeSources = "removed-at-some-sources";
    public const string RemovedAtAllSources = "removed-at-all-sources";
}
