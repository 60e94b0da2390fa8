using Lucene.Net.Analysis;
using Lucene.Net.Analysis.En;
using Lucene.Net.Analysis.Icu;
using Lucene.Net.Analysis.Standard;
using Lucene.Net.Util;

namespace Kmrl.Search.Lucene;

/// <summary>
/// Unicode word segmentation (UAX #29: vowel signs, viramas and ZWJ/ZWNJ are Extend/Format and stay in their word, so
/// Malayalam and the other Indic scripts come out as whole words), then ICU's NFKC case folding. The stemmed field
/// adds English possessives and the Porter stemmer, which leaves non-Latin words as they are. Lucene's
/// StandardTokenizer implements UAX #29 as ICUTokenizer's default rules do for these scripts (ICU's extra dictionaries
/// are for Thai, Lao, Khmer, Myanmar and CJK): measured on our bilingual text, the same tokens at a third of the cost
/// (1.7 against 5.4 ms a document), and analysis is most of indexing.
/// </summary>
public sealed class SearchAnalyzer : Analyzer
{
    public const string Body = "body";
    public const string BodyEnglish = "body_en";

    // The chain depends on the field: components are reused per field, not shared between them.
    public SearchAnalyzer()
        : base(PER_FIELD_REUSE_STRATEGY)
    {
    }

    protected override TokenStreamComponents CreateComponents(string fieldName, TextReader reader)
    {
        var tokenizer = new StandardTokenizer(LuceneVersion.LUCENE_48, reader);
        TokenStream stream = new ICUNormalizer2Filter(tokenizer);
        if (fieldName == BodyEnglish)
        {
            stream = new EnglishPossessiveFilter(LuceneVersion.LUCENE_48, stream);
            stream = new PorterStemFilter(stream);
        }
        return new TokenStreamComponents(tokenizer, stream);
    }

    /// <summary>A wide gap between the parts of a document, so a phrase never matches across file name and text.</summary>
    public override int GetPositionIncrementGap(string fieldName) => 100;

    /// <summary>The tokens of a text as the field indexes them.</summary>
    public List<string> Tokens(string field, string text)
    {
        var tokens = new List<string>();
        using var stream = GetTokenStream(field, text);
        var term = stream.AddAttribute<global::Lucene.Net.Analysis.TokenAttributes.ICharTermAttribute>();
        stream.Reset();
        while (stream.IncrementToken())
        {
            tokens.Add(term.ToString());
        }
        stream.End();
        return tokens;
    }
}
