namespace Kmrl.Search.Tests;

/// <summary>The query syntax itself, before any engine: what becomes a required group, an alternative or an exclusion.</summary>
public sealed class SearchQueryTests
{
    [Fact]
    public void Words_are_required_OR_joins_alternatives_and_a_leading_minus_excludes()
    {
        var query = SearchQuery.Parse("circular OR \"safety notice\" OR സർക്കുല* aluva -draft -\"old copy\" -സർക്കുലർ");

        Assert.Equal(
            [[new SearchClause(ClauseKind.Word, "circular"), new SearchClause(ClauseKind.Phrase, "safety notice"), new SearchClause(ClauseKind.Prefix, "സർക്കുല")],
             [new SearchClause(ClauseKind.Word, "aluva")]],
            query.Groups.Select(g => g.Alternatives));
        Assert.Equal(
            [new SearchClause(ClauseKind.Word, "draft"), new SearchClause(ClauseKind.Phrase, "old copy"), new SearchClause(ClauseKind.Word, "സർക്കുലർ")],
            query.Excluded);
        Assert.Equal("circular OR \"safety notice\" OR സർക്കുല* aluva -draft -\"old copy\" -സർക്കുലർ", query.ToString());
    }

    [Theory]
    [InlineData("WO-2025-0042")]
    [InlineData("tender-track-circuits.pdf")]
    [InlineData("invoice or tender")]
    public void A_hyphen_inside_a_word_and_a_lower_case_or_are_plain_words(string text)
    {
        var query = SearchQuery.Parse(text);

        Assert.Empty(query.Excluded);
        Assert.All(query.Groups, g => Assert.Single(g.Alternatives));
        Assert.Equal(text.Split(' ').Length, query.Groups.Count);
    }

    [Fact]
    public void A_minus_on_its_own_constrains_nothing_and_exclusions_alone_rank_nothing()
    {
        Assert.True(SearchQuery.Parse(" - ").IsEmpty);
        var only = SearchQuery.Parse("-draft");
        Assert.False(only.IsEmpty);
        Assert.False(only.HasRequired);
    }

    [Theory]
    [InlineData("OR circular")]
    [InlineData("circular OR")]
    [InlineData("circular OR OR notice")]
    [InlineData("circular OR -notice")]
    [InlineData("-circular OR notice")]
    public void An_OR_without_a_required_word_on_each_side_is_refused_with_an_example(string text)
    {
        var error = Assert.Throws<SearchQueryException>(() => SearchQuery.Parse(text));

        Assert.Contains("circular", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Exclusions_count_towards_the_clause_limit()
    {
        var text = string.Join(' ', Enumerable.Range(0, SearchQuery.MaxClauses).Select(i => $"word{i}")) + " -extra";

        Assert.Throws<SearchQueryException>(() => SearchQuery.Parse(text));
    }
}
