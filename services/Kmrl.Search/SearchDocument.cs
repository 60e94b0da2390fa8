namespace Kmrl.Search;

/// <summary>
/// What the index holds of one catalogued document: a projection of the catalog record, rebuilt from it at any time.
/// <see cref="UpdatedAt"/> orders versions, so a late redelivery of an older event never overwrites a newer one.
/// </summary>
public sealed record SearchDocument
{
    public required string DocumentId { get; init; }
    public required string FileName { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public required DateTimeOffset UpdatedAt { get; init; }
    public required string Status { get; init; }
    /// <summary>Whether the document is still at its sources (present, removed-at-some-sources, removed-at-all-sources).</summary>
    public string SourceStatus { get; init; } = "present";
    public string? DocumentType { get; init; }
    public string? Language { get; init; }
    public string Summary { get; init; } = string.Empty;
    public string Text { get; init; } = string.Empty;
    public IReadOnlyList<string> Departments { get; init; } = [];
    public IReadOnlyList<string> Sources { get; init; } = [];
    /// <summary>Key fields as text: work orders, purchase orders, invoices, stations, train sets, dates.</summary>
    public IReadOnlyList<string> KeyFields { get; init; } = [];
    /// <summary>Provenance metadata values: sender, subject, mailbox, library path, work-order number, WhatsApp number.</summary>
    public IReadOnlyList<string> Metadata { get; init; } = [];
    public IReadOnlyList<DateOnly> Deadlines { get; init; } = [];

    public bool HasDeadline => Deadlines.Count > 0;

    /// <summary>Everything a query matches, one value per part (phrases never run across parts).</summary>
    public IEnumerable<string> SearchableParts()
    {
        yield return FileName;
        if (Summary.Length > 0) yield return Summary;
        foreach (var value in KeyFields) yield return value;
        foreach (var value in Metadata) yield return value;
        if (Text.Length > 0) yield return Text;
    }
}
