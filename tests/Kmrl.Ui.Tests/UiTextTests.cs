using System.Text.RegularExpressions;
using System.Xml.Linq;
using Kmrl.Dapr.Testing;

namespace Kmrl.Ui.Tests;

/// <summary>The pages' words in both languages, checked from the files: no label missing in Malayalam, none left in English.</summary>
public sealed partial class UiTextTests
{
    private static readonly string Ui = Path.Combine(RepositoryPaths.Root, "services", "Kmrl.DocumentApi", "Ui");

    [Fact]
    public void Every_label_the_pages_name_is_in_english_and_in_malayalam_and_the_malayalam_is_not_english_left_over()
    {
        var english = Texts("UiText.resx");
        var malayalam = Texts("UiText.ml.resx");

        Assert.Equal(english.Keys.Order(StringComparer.Ordinal), malayalam.Keys.Order(StringComparer.Ordinal));
        Assert.DoesNotContain(english.Keys, key => malayalam[key] == english[key]);
        var named = Directory.EnumerateFiles(Ui, "*.*", SearchOption.AllDirectories)
            .Where(f => f.EndsWith(".cshtml", StringComparison.Ordinal) || f.EndsWith(".cs", StringComparison.Ordinal))
            .SelectMany(f => Label().Matches(File.ReadAllText(f)).Select(m => m.Groups["key"].Value))
            .ToHashSet(StringComparer.Ordinal);
        Assert.NotEmpty(named);
        Assert.DoesNotContain(named, key => !english.ContainsKey(key));
    }

    private static Dictionary<string, string> Texts(string file) =>
        XDocument.Load(Path.Combine(Ui, file)).Root!.Elements("data")
            .ToDictionary(d => (string)d.Attribute("name")!, d => (string?)d.Element("value") ?? "", StringComparer.Ordinal);

    // T["literal"] in the pages and localizer["literal"] in their helpers; computed keys ("facet:" + name) are not literals.
    [GeneratedRegex("""(?:\bT|localizer)\["(?<key>[^"]+)"\s*[\],]""")]
    private static partial Regex Label();
}
