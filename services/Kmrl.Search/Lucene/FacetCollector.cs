using Lucene.Net.Index;
using Lucene.Net.Search;
using Lucene.Net.Util;

namespace Kmrl.Search.Lucene;

/// <summary>
/// Counts facet values over every matching document (the same hits as the total, so a count never sees a document
/// the scope hides), from sorted-set doc values: ordinals per segment, turned into values once per segment.
/// </summary>
internal sealed class FacetCollector(IReadOnlyList<string> facets) : ICollector
{
    private readonly Dictionary<string, Dictionary<string, long>> _counts =
        facets.ToDictionary(f => f, _ => new Dictionary<string, long>(StringComparer.Ordinal), StringComparer.Ordinal);
    private readonly List<(string Facet, SortedSetDocValues Values, long[] Counts)> _segment = [];

    public bool AcceptsDocsOutOfOrder => true;

    public void SetScorer(Scorer scorer)
    {
    }

    public void SetNextReader(AtomicReaderContext context)
    {
        Flush();
        foreach (var facet in facets)
        {
            var values = context.AtomicReader.GetSortedSetDocValues(LuceneFields.Facet(facet));
            if (values is not null)
            {
                _segment.Add((facet, values, new long[values.ValueCount]));
            }
        }
    }

    public void Collect(int doc)
    {
        foreach (var (_, values, counts) in _segment)
        {
            values.SetDocument(doc);
            long ord;
            while ((ord = values.NextOrd()) != SortedSetDocValues.NO_MORE_ORDS)
            {
                counts[ord]++;
            }
        }
    }

    public IReadOnlyDictionary<string, IReadOnlyList<FacetCount>> Results()
    {
        Flush();
        return _counts.ToDictionary(
            pair => pair.Key,
            pair => (IReadOnlyList<FacetCount>)pair.Value
                .Select(v => new FacetCount(v.Key, v.Value))
                .OrderByDescending(v => v.Count).ThenBy(v => v.Value, StringComparer.Ordinal)
                .ToList(),
            StringComparer.Ordinal);
    }

    private void Flush()
    {
        var value = new BytesRef();
        foreach (var (facet, values, counts) in _segment)
        {
            var target = _counts[facet];
            for (var ord = 0; ord < counts.Length; ord++)
            {
                if (counts[ord] == 0) continue;
                values.LookupOrd(ord, value);
                var key = value.Utf8ToString();
                target[key] = target.GetValueOrDefault(key) + counts[ord];
            }
        }
        _segment.Clear();
    }
}

internal static class LuceneFields
{
    public const string Id = "id";
    public const string Updated = "updated";
    public const string Created = "created";
    public const string CreatedSort = "created_sort";
    public const string FileName = "file_name";
    public const string Text = "text";
    public const string Summary = "summary";
    public const string Readers = "readers";
    public const string Departments = "departments";
    public const string Type = "type";
    public const string Language = "language";
    public const string Status = "status";
    public const string SourceStatus = "source_status";

    /// <summary>The indexed (filterable) field of a facet; its doc values live under <see cref="Facet"/>.</summary>
    public static string Filter(string facet) => "f_" + facet;

    public static string Facet(string facet) => "dv_" + facet;
}
