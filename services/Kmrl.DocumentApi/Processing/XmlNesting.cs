using System.Xml;

namespace Kmrl.DocumentApi.Processing;

/// <summary>
/// How deep the elements of an XML part nest, read as a stream (XmlReader keeps its element stack on the heap), so
/// that a hostile part is measured without the recursion that the Open XML SDK's DOM load and walks use: 200,000
/// nested <c>w:sdt</c> elements overflow the stack there, which no catch block survives.
/// </summary>
public static class XmlNesting
{
    private static readonly XmlReaderSettings Settings = new()
    {
        // DTDs stay refused, as the SDK refuses them.
        DtdProcessing = DtdProcessing.Prohibit,
        XmlResolver = null,
        IgnoreComments = true,
        IgnoreProcessingInstructions = true,
        IgnoreWhitespace = true,
        CloseInput = false,
    };

    /// <summary>
    /// True when an element sits deeper than <paramref name="maxDepth"/>. XML that does not parse is not this
    /// check's business (the extractor reports it): it answers false for what it could read.
    /// </summary>
    public static bool Exceeds(Stream xml, int maxDepth)
    {
        try
        {
            using var reader = XmlReader.Create(xml, Settings);
            while (reader.Read())
            {
                if (reader.NodeType == XmlNodeType.Element && reader.Depth >= maxDepth)
                {
                    return true;
                }
            }
            return false;
        }
        catch (XmlException)
        {
            return false;
        }
    }

    /// <summary>Whether a package entry is XML that the SDK would parse (parts and relationships).</summary>
    public static bool IsXmlPart(string entryName) =>
        entryName.EndsWith(".xml", StringComparison.OrdinalIgnoreCase) || entryName.EndsWith(".rels", StringComparison.OrdinalIgnoreCase);
}
