namespace Kmrl.Search;

/// <summary>
/// Indic scripts (Devanagari to Malayalam, U+0900–U+0DFF) inflect by changing a word's ending (a final chillu becomes
/// a consonant and vowel sign: സർക്കുലർ, സർക്കുലറിൽ, സർക്കുലറുകൾ), so neither a stem nor a prefix of the written form
/// matches. Both engines match such a word by trigram similarity instead, measured as pg_trgm's word_similarity
/// measures it (padded trigrams of the query word found in the indexed word), with the same threshold.
/// </summary>
public static class IndicText
{
    /// <summary>pg_trgm's default <c>word_similarity_threshold</c>; the embedded engine uses the same.</summary>
    public const double SimilarityThreshold = 0.6;

    /// <summary>Words this short are matched as written: their trigrams are too few to tell inflection from noise.</summary>
    public const int MinSimilarityLength = 4;

    public static bool IsIndic(string word)
    {
        foreach (var c in word)
        {
            if (c is >= '\u0900' and <= '\u0DFF')
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>Trigrams as pg_trgm takes them: the word padded with two spaces before and one after.</summary>
    public static HashSet<string> Trigrams(string word)
    {
        var padded = "  " + word + " ";
        var set = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i + 3 <= padded.Length; i++)
        {
            set.Add(padded.Substring(i, 3));
        }
        return set;
    }

    /// <summary>The share of the query word's trigrams that the candidate word has (1 when it contains them all).</summary>
    public static double Similarity(HashSet<string> queryTrigrams, string candidate)
    {
        if (queryTrigrams.Count == 0) return 0;
        var candidateTrigrams = Trigrams(candidate);
        var shared = queryTrigrams.Count(candidateTrigrams.Contains);
        return (double)shared / queryTrigrams.Count;
    }
}
