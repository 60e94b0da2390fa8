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

/// <summary>One required part of a query: a document matches it when it matches any of the alternatives (<c>a OR b</c>).</summary>
public sealed record SearchGroup(IReadOnlyList<SearchClause> Alternatives);

/// <summary>
/// The query syntax both engines understand, parsed once here so they answer the same question: words (all must
/// match), <c>"phrases"</c>, <c>prefix*</c>, <c>fuzzy~</c>, <c>a OR b</c> (either; binds tighter than the spaces, so
/// <c>circular OR notice metro</c> is "(circular or notice) and metro") and <c>-word</c> (documents without it; also
/// <c>-"phrase"</c>, <c>-prefix*</c>). A <c>-</c> inside a word (WO-2025-0042) is part of the word. Anything else is a
/// <see cref="SearchQueryException"/> naming what is wrong; engine syntax (Lucene's, tsquery's) is never passed through.
/// </summary>
public sealed record SearchQuery(IReadOnlyList<SearchGroup> Groups, IReadOnlyList<SearchClause> Excluded)
{
    public const int MaxLength = 500;
    public const int MaxClauses = 16;
    public const int MinPrefixLength = 2;

    /// <summary>The operator between alternatives: upper case only, so the word "or" is still a word.</summary>
    public const string Or = "OR";

    public static SearchQuery Empty { get; } = new([], []);

    /// <summary>No words at all: every document the filters and scope allow.</summary>
    public bool IsEmpty => Groups.Count == 0 && Excluded.Count == 0;

    /// <summary>Whether anything is matched positively (and so can be ranked and highlighted); exclusions alone are not.</summary>
    public bool HasRequired => Groups.Count > 0;

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
        var groups = new List<List<SearchClause>>();
        var excluded = new List<SearchClause>();
        // What came before an OR must be a required word or phrase, and so must what follows it.
        var lastWasRequired = false;
        var pendingOr = false;
        foreach (var token in Tokens(text))
        {
            if (token.IsOr)
            {
                if (!lastWasRequired || pendingOr)
                {
                    throw new SearchQueryException($"'{Or}' goes between two words or phrases, as in: circular {Or} notice.");
                }
                pendingOr = true;
                continue;
            }
            var clause = token.Clause!;
            if (!clause.Text.Any(char.IsLetterOrDigit))
            {
                continue; // Punctuation alone ("-", "&") constrains nothing.
            }
            if (token.Negated)
            {
                if (pendingOr)
                {
                    throw new SearchQueryException($"'-' cannot be one side of '{Or}': write the word to leave out on its own, as in: circular -draft.");
                }
                excluded.Add(clause);
                lastWasRequired = false;
                continue;
            }
            if (pendingOr)
            {
                groups[^1].Add(clause);
                pendingOr = false;
            }
            else
            {
                groups.Add([clause]);
            }
            lastWasRequired = true;
        }
        if (pendingOr)
        {
            throw new SearchQueryException($"'{Or}' goes between two words or phrases, as in: circular {Or} notice.");
        }
        if (groups.Sum(g => g.Count) + excluded.Count > MaxClauses)
        {
            throw new SearchQueryException($"The query has more than {MaxClauses} words or phrases.");
        }
        return new SearchQuery(groups.Select(g => new SearchGroup(g)).ToList(), excluded);
    }

    private sealed record Token(SearchClause? Clause, bool Negated, bool IsOr);

    private static IEnumerable<Token> Tokens(string text)
    {
        var i = 0;
        while (i < text.Length)
        {
            if (char.IsWhiteSpace(text[i]))
            {
                i++;
                continue;
            }
            // A '-' that starts a word or phrase leaves it out; inside a word it is the word's own.
            var negated = text[i] == '-' && i + 1 < text.Length && !char.IsWhiteSpace(text[i + 1]) && text[i + 1] != '-';
            if (negated)
            {
                i++;
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
                i = end + 1;
                if (i < text.Length && (text[i] == '*' || text[i] == '~'))
                {
                    throw new SearchQueryException($"'{text[i]}' applies to one word, not to a phrase.");
                }
                yield return new Token(new SearchClause(ClauseKind.Phrase, phrase), negated, false);
                continue;
            }
            var start = i;
            while (i < text.Length && !char.IsWhiteSpace(text[i]) && text[i] != '"')
            {
                i++;
            }
            var word = text[start..i];
            if (!negated && word == Or)
            {
                yield return new Token(null, false, true);
                continue;
            }
            yield return new Token(ParseWord(word), negated, false);
        }
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

    public override string ToString() => string.Join(' ',
        Groups.Select(g => string.Join($" {Or} ", g.Alternatives.Select(Format)))
            .Concat(Excluded.Select(c => "-" + Format(c))));

    private static string Format(SearchClause clause) => clause.Kind switch
    {
        ClauseKind.Phrase => $"\"{clause.Text}\"",
        ClauseKind.Prefix => clause.Text + "*",
        ClauseKind.Fuzzy => clause.Text + "~",
        _ => clause.Text,
    };
}
