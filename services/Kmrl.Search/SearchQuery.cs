using System.Text;

namespace Kmrl.Search;

public enum ClauseKind
{
    /// <summary>A word: English is matched by its stem, Indic scripts across inflection.</summary>
    Word,
    /// <summary><c>"words in order"</c>.</summary>
    Phrase,
    /// <summary><c>circ*</c>: words starting with this.</summary>
    Prefix,
    /// <summary><c>maintenence~</c>: words within one or two edits (OCR errors).</summary>
    Fuzzy,
}

public sealed record SearchClause(ClauseKind Kind, string Text);

/// <summary>
/// The query syntax both engines understand, parsed once here so they answer the same question: words (all must
/// match), <c>"phrases"</c>, <c>prefix*</c> and <c>fuzzy~</c>. Anything else is a <see cref="SearchQueryException"/>
/// naming what is wrong; engine syntax (Lucene's, tsquery's) is never passed through.
/// </summary>
public sealed record SearchQuery(IReadOnlyList<SearchClause> Clauses)
{
    public const int MaxLength = 500;
    public const int MaxClauses = 16;
    public const int MinPrefixLength = 2;

    public static SearchQuery Empty { get; } = new([]);

    public bool IsEmpty => Clauses.Count == 0;

    public static SearchQuery Parse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return Empty;
        }
        if (text.Length > MaxLength)
        {
            throw new SearchQueryException($"The query is longer than {MaxLength} characters.");
        }
        var clauses = new List<SearchClause>();
        var i = 0;
        while (i < text.Length)
        {
            if (char.IsWhiteSpace(text[i]))
            {
                i++;
                continue;
            }
            if (text[i] == '"')
            {
                var end = text.IndexOf('"', i + 1);
                if (end < 0)
                {
                    throw new SearchQueryException("A phrase is not closed: add the second \".");
                }
                var phrase = Normalise(text[(i + 1)..end]);
                if (phrase.Length == 0)
                {
                    throw new SearchQueryException("A phrase (\"...\") is empty.");
                }
                clauses.Add(new SearchClause(ClauseKind.Phrase, phrase));
                i = end + 1;
                if (i < text.Length && (text[i] == '*' || text[i] == '~'))
                {
                    throw new SearchQueryException($"'{text[i]}' applies to one word, not to a phrase.");
                }
                continue;
            }
            var start = i;
            while (i < text.Length && !char.IsWhiteSpace(text[i]) && text[i] != '"')
            {
                i++;
            }
            clauses.Add(ParseWord(text[start..i]));
        }
        var meaningful = clauses.Where(c => c.Text.Any(char.IsLetterOrDigit)).ToList();
        if (meaningful.Count > MaxClauses)
        {
            throw new SearchQueryException($"The query has more than {MaxClauses} words or phrases.");
        }
        return new SearchQuery(meaningful);
    }

    private static SearchClause ParseWord(string word)
    {
        var kind = ClauseKind.Word;
        var body = word;
        if (body.EndsWith('*'))
        {
            kind = ClauseKind.Prefix;
            body = body[..^1];
        }
        else if (body.EndsWith('~'))
        {
            kind = ClauseKind.Fuzzy;
            body = body[..^1];
        }
        if (body.IndexOfAny(['*', '~', '?']) >= 0)
        {
            throw new SearchQueryException($"'{word}': '*' and '~' may only end a word (no wildcards inside or at the start).");
        }
        body = Normalise(body);
        if (kind == ClauseKind.Prefix && body.Count(char.IsLetterOrDigit) < MinPrefixLength)
        {
            throw new SearchQueryException($"'{word}': a prefix needs at least {MinPrefixLength} letters before '*'.");
        }
        if (kind == ClauseKind.Fuzzy && !body.Any(char.IsLetterOrDigit))
        {
            throw new SearchQueryException($"'{word}': '~' needs a word before it.");
        }
        return new SearchClause(kind, body);
    }

    private static string Normalise(string value) => value.Normalize(NormalizationForm.FormC).Trim();

    public override string ToString() => string.Join(' ', Clauses.Select(c => c.Kind switch
    {
        ClauseKind.Phrase => $"\"{c.Text}\"",
        ClauseKind.Prefix => c.Text + "*",
        ClauseKind.Fuzzy => c.Text + "~",
        _ => c.Text,
    }));
}
