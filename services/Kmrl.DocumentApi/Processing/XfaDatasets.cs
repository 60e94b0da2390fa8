using System.Text;
using System.Xml;
using UglyToad.PdfPig;
using UglyToad.PdfPig.Filters;
using UglyToad.PdfPig.Tokens;

namespace Kmrl.DocumentApi.Processing;

/// <summary>
/// The filled values of an XFA form (Adobe LiveCycle/AEM forms, common in government PDFs): they live in the
/// <c>datasets</c> packet of the AcroForm's <c>/XFA</c> entry, not in AcroForm fields or the page's text. The
/// <c>xfa:data</c> element holds the form's own XML, one element per field; a leaf's value is named by its path
/// ("permit.applicant"), a repeated one with its index ("row[2].item").
/// </summary>
public static class XfaDatasets
{
    private const string DataNamespace = "http://www.xfa.org/schema/xfa-data/1.0/";

    /// <summary>Datasets larger than this are not read (a form's data is kilobytes; the cap bounds a hostile stream).</summary>
    private const int MaxBytes = 8 * 1024 * 1024;

    private const int MaxFields = 2_000;

    /// <summary>The values by path; empty when the form has no XFA datasets or they cannot be read.</summary>
    public static IReadOnlyDictionary<string, string> Read(PdfDocument pdf, DictionaryToken acroForm)
    {
        try
        {
            return Datasets(pdf, acroForm) is { } xml ? Parse(xml) : new Dictionary<string, string>();
        }
        catch (Exception ex) when (ex is XmlException or InvalidOperationException or ArgumentException or NotSupportedException or IndexOutOfRangeException)
        {
            // A damaged or hostile packet (a DTD, bad XML, an unknown filter) costs the form values, not the document.
            return new Dictionary<string, string>();
        }
    }

    /// <summary>The datasets packet: /XFA is either the whole XDP as one stream or an array of (name, stream) packets.</summary>
    private static byte[]? Datasets(PdfDocument pdf, DictionaryToken acroForm)
    {
        if (!acroForm.Data.TryGetValue("XFA", out var token)) return null;
        switch (Resolve(pdf, token))
        {
            case StreamToken whole:
                return Decode(whole);
            case ArrayToken packets:
                for (var i = 0; i + 1 < packets.Data.Count; i += 2)
                {
                    if (Resolve(pdf, packets.Data[i]) is StringToken { Data: "datasets" } && Resolve(pdf, packets.Data[i + 1]) is StreamToken stream)
                    {
                        return Decode(stream);
                    }
                }
                return null;
            default:
                return null;
        }
    }

    private static byte[]? Decode(StreamToken stream)
    {
        var bytes = stream.Decode(DefaultFilterProvider.Instance).ToArray();
        return bytes.Length <= MaxBytes ? bytes : null;
    }

    private static IToken? Resolve(PdfDocument pdf, IToken token) =>
        token is IndirectReferenceToken reference ? pdf.Structure.GetObject(reference.Data)?.Data : token;

    internal static IReadOnlyDictionary<string, string> Parse(byte[] xml)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        var settings = new XmlReaderSettings
        {
            DtdProcessing = DtdProcessing.Prohibit,
            XmlResolver = null,
            MaxCharactersInDocument = MaxBytes,
            IgnoreComments = true,
            IgnoreProcessingInstructions = true,
            // A lone datasets packet is a fragment of the XDP (no root around it in some writers).
            ConformanceLevel = ConformanceLevel.Fragment,
        };
        using var reader = XmlReader.Create(new MemoryStream(xml, writable: false), settings);
        // The path from xfa:data down; a count per path so repeated elements get an index.
        var path = new List<string>();
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        var text = new StringBuilder();
        var inData = false;
        var dataDepth = 0;
        var hasChild = new Stack<bool>();
        while (reader.Read() && values.Count < MaxFields)
        {
            switch (reader.NodeType)
            {
                case XmlNodeType.Element when !inData:
                    if (reader.LocalName == "data" && reader.NamespaceURI == DataNamespace && !reader.IsEmptyElement)
                    {
                        inData = true;
                        dataDepth = reader.Depth;
                    }
                    break;
                case XmlNodeType.Element:
                    if (hasChild.Count > 0) hasChild.Push(hasChild.Pop() | true);
                    var parent = string.Join('.', path);
                    var key = parent + "/" + reader.LocalName;
                    var index = seen[key] = seen.GetValueOrDefault(key) + 1;
                    path.Add(index == 1 ? reader.LocalName : $"{reader.LocalName}[{index}]");
                    text.Clear();
                    if (reader.IsEmptyElement)
                    {
                        path.RemoveAt(path.Count - 1);
                    }
                    else
                    {
                        hasChild.Push(false);
                    }
                    break;
                case XmlNodeType.Text or XmlNodeType.CDATA or XmlNodeType.SignificantWhitespace when inData:
                    text.Append(reader.Value);
                    break;
                case XmlNodeType.EndElement when inData:
                    if (reader.Depth == dataDepth)
                    {
                        inData = false;
                        break;
                    }
                    var leaf = hasChild.Count > 0 && !hasChild.Pop();
                    var value = text.ToString().Trim();
                    if (leaf && value.Length > 0) values[string.Join('.', path)] = value;
                    text.Clear();
                    if (path.Count > 0) path.RemoveAt(path.Count - 1);
                    break;
            }
        }
        return values;
    }
}
