namespace Kmrl.Search;

/// <summary>
/// What the caller may read: every document (machines with an API key, administrators, operations) or the documents
/// readable by a set of departments. The engines apply it inside the query, so results, totals and facet counts only
/// ever see documents in scope: nothing leaks through a count.
/// </summary>
public sealed class AccessScope
{
    private AccessScope(bool all, IReadOnlySet<string> departments)
    {
        IsAll = all;
        Departments = departments;
    }

    public static AccessScope All { get; } = new(true, new HashSet<string>());

    /// <summary>Nothing at all: what a signed-in person with no department gets.</summary>
    public static AccessScope None { get; } = new(false, new HashSet<string>());

    public bool IsAll { get; }

    public IReadOnlySet<string> Departments { get; }

    public static AccessScope ForDepartments(IEnumerable<string> departments) =>
        new(false, departments.Where(d => !string.IsNullOrWhiteSpace(d)).ToHashSet(StringComparer.Ordinal));
}

/// <summary>
/// Confidential document types (HR, vigilance) and the departments that alone may read them. Applied when a document
/// is indexed: its readers are its departments, narrowed to the owners for a confidential type. Changing it means a
/// rebuild.
/// </summary>
public sealed class SearchAccessOptions
{
    /// <summary>Document type → departments that may read it, e.g. <c>hr-policy: [hr]</c>.</summary>
    public Dictionary<string, string[]> ConfidentialTypes { get; init; } = new(StringComparer.Ordinal)
    {
        ["hr-policy"] = ["hr"],
        ["vigilance-report"] = ["vigilance"],
    };

    public IReadOnlyList<string> ReadersOf(SearchDocument document) => ReadersOf(document.DocumentType, document.Departments);

    /// <summary>The same rule for a catalog record (a document page, an inbox), so the pages and the index agree.</summary>
    public IReadOnlyList<string> ReadersOf(string? documentType, IReadOnlyList<string> departments)
    {
        if (documentType is { } type && ConfidentialTypes.TryGetValue(type, out var owners))
        {
            return departments.Where(d => owners.Contains(d, StringComparer.Ordinal)).Distinct(StringComparer.Ordinal).ToList();
        }
        return departments.Distinct(StringComparer.Ordinal).ToList();
    }

    /// <summary>Whether a caller with <paramref name="scope"/> reads a document of that type routed to those departments.</summary>
    public bool CanRead(AccessScope scope, string? documentType, IReadOnlyList<string> departments) =>
        scope.IsAll || ReadersOf(documentType, departments).Any(scope.Departments.Contains);
}
