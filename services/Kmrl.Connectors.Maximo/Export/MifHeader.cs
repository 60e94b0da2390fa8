using System.Text;
using System.Text.RegularExpressions;
using Kmrl.ServiceDefaults;

namespace Kmrl.Connectors.Maximo.Export;

/// <summary>
/// Reads the header of a Maximo Integration Framework export. Flat files (.dat/.csv/.txt) carry on line 1:
/// external system, interface (publish channel), action, language, e.g. <c>EXTSYS1,MXWOInterface,AddChange,EN</c>
/// (with the configured delimiter and an optional <c>"</c> text qualifier). XML exports name the operation and
/// object structure in the root element (<c>&lt;PublishMXWODETAIL ... baseLanguage="EN"&gt;</c>).
/// </summary>
public static partial class MifHeader
{
    /// <summary>Bytes read from the start of a file to find the header.</summary>
    public const int PeekLength = 4096;

    private static readonly string[] FlatExtensions = [".dat", ".csv", ".txt"];

    public static bool AppliesTo(string fileName) =>
        FlatExtensions.Contains(Path.GetExtension(fileName), StringComparer.OrdinalIgnoreCase)
        || string.Equals(Path.GetExtension(fileName), ".xml", StringComparison.OrdinalIgnoreCase);

    /// <summary>Metadata from the first bytes of the file; empty when they do not look like a MIF header.</summary>
    public static IReadOnlyDictionary<string, string> Parse(string fileName, ReadOnlySpan<byte> head)
    {
        var text = Encoding.UTF8.GetString(head).TrimStart('\uFEFF');
        return string.Equals(Path.GetExtension(fileName), ".xml", StringComparison.OrdinalIgnoreCase)
            ? ParseXml(text)
            : ParseFlat(text);
    }

    private static Dictionary<string, string> ParseFlat(string text)
    {
        var result = new Dictionary<string, string>();
        var end = text.IndexOfAny(['\r', '\n']);
        if (end < 0)
        {
            return result; // no complete first line within the peek: not a header we can trust
        }
        var line = text[..end];
        var delimiter = new[] { ',', '|', '\t', ';', '~' }.FirstOrDefault(line.Contains);
        if (delimiter == default)
        {
            return result;
        }
        var fields = SplitQualified(line, delimiter);
        if (fields.Count < 2)
        {
            return result;
        }
        result[MaximoMetadata.MifExternalSystem] = fields[0];
        result[MaximoMetadata.MifInterface] = fields[1];
        if (fields.Count > 2 && fields[2].Length > 0)
        {
            result[MaximoMetadata.MifAction] = fields[2];
        }
        if (fields.Count > 3 && fields[3].Length > 0)
        {
            result[MaximoMetadata.MifLanguage] = fields[3];
        }
        return result;
    }

    private static List<string> SplitQualified(string line, char delimiter)
    {
        var fields = new List<string>();
        var current = new StringBuilder();
        var quoted = false;
        for (var i = 0; i < line.Length; i++)
        {
            var c = line[i];
            if (c == '"')
            {
                if (quoted && i + 1 < line.Length && line[i + 1] == '"')
                {
                    current.Append('"');
                    i++;
                }
                else
                {
                    quoted = !quoted;
                }
            }
            else if (c == delimiter && !quoted)
            {
                fields.Add(current.ToString().Trim());
                current.Clear();
            }
            else
            {
                current.Append(c);
            }
        }
        fields.Add(current.ToString().Trim());
        return fields;
    }

    private static Dictionary<string, string> ParseXml(string text)
    {
        var result = new Dictionary<string, string>();
        var root = XmlRoot().Match(text);
        if (!root.Success)
        {
            return result;
        }
        var name = root.Groups["name"].Value;
        var colon = name.IndexOf(':');
        if (colon >= 0)
        {
            name = name[(colon + 1)..];
        }
        var operation = XmlOperation().Match(name);
        if (operation.Success)
        {
            result[MaximoMetadata.MifAction] = operation.Groups[1].Value;
            result[MaximoMetadata.MifInterface] = operation.Groups[2].Value;
        }
        else
        {
            result[MaximoMetadata.MifInterface] = name;
        }
        var attributes = root.Groups["attributes"].Value;
        if (XmlAttribute("baseLanguage").Match(attributes) is { Success: true } language)
        {
            result[MaximoMetadata.MifLanguage] = language.Groups[1].Value;
        }
        if (XmlAttribute("messageID").Match(attributes) is { Success: true } messageId)
        {
            result[MaximoMetadata.MifMessageId] = messageId.Groups[1].Value;
        }
        return result;
    }

    private static Regex XmlAttribute(string name) =>
        new($"""\b{name}\s*=\s*["']([^"']*)["']""", RegexOptions.CultureInvariant | RegexOptions.NonBacktracking, RegexBudget.MatchTimeout);

    // The first element that is not a declaration, comment or processing instruction.
    // NonBacktracking: a header of '<' without '>' made the backtracking engine rescan to the end from each one.
    [GeneratedRegex(@"<(?<name>[A-Za-z_][\w:.-]*)(?<attributes>[^>]*)>", RegexOptions.CultureInvariant | RegexOptions.NonBacktracking, RegexBudget.MatchTimeoutMilliseconds)]
    private static partial Regex XmlRoot();

    [GeneratedRegex("^(Publish|Sync|Create|Update|Delete|Query|QueryResponse)(.+)$", RegexOptions.CultureInvariant, RegexBudget.MatchTimeoutMilliseconds)]
    private static partial Regex XmlOperation();
}
