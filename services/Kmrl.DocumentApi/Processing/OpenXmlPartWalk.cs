using DocumentFormat.OpenXml;
using DocumentFormat.OpenXml.Packaging;

namespace Kmrl.DocumentApi.Processing;

/// <summary>
/// One Open XML part read forward as start and end events with the SDK's <see cref="OpenXmlReader"/>, never loaded as
/// a DOM: memory stays that of the element stack and the text taken, however large the part (issue 18: a 550 KB
/// .docx of 1.5 million paragraphs needed more than the worker's 768 MiB heap as a DOM). Markup compatibility is
/// resolved as a reader sees it: of an <c>mc:AlternateContent</c> only the first child (the first choice, else the
/// fallback) is walked; the others are skipped unread.
/// </summary>
public sealed class OpenXmlPartWalk : IDisposable
{
    private readonly OpenXmlReader _reader;
    // Depth of each open mc:AlternateContent, and whether its one child has been taken.
    private readonly Stack<(int Depth, bool Taken)> _alternates = new();
    // After a skip the reader already stands on the next node.
    private bool _positioned;

    // A part without bytes has no root; the DOM reads it as no element, the reader would throw.
    private readonly bool _empty;

    public OpenXmlPartWalk(OpenXmlPart part)
    {
        using (var stream = part.GetStream(FileMode.Open, FileAccess.Read))
        {
            _empty = stream.ReadByte() < 0;
        }
        _reader = OpenXmlReader.Create(part, readMiscNodes: false);
    }

    public bool IsStart => _reader.IsStartElement;

    public Type ElementType => _reader.ElementType;

    /// <summary>The root element is at depth 0.</summary>
    public int Depth => _reader.Depth;

    /// <summary>The text of a leaf text element (w:t, a:t, c:v ...) at its start; empty otherwise.</summary>
    public string Text => _reader.GetText();

    public bool Is<T>() where T : OpenXmlElement => _reader.ElementType == typeof(T);

    /// <summary>
    /// An attribute of the current start element by local name: in no namespace, or with <paramref name="namespaced"/>
    /// in some namespace (r:id, whichever namespace a strict or transitional package gives it).
    /// </summary>
    public string? Attribute(string localName, bool namespaced = false)
    {
        foreach (var attribute in _reader.Attributes)
        {
            if (attribute.LocalName == localName && attribute.NamespaceUri.Length > 0 == namespaced) return attribute.Value;
        }
        return null;
    }

    /// <summary>The next start or end event; false at the end of the part.</summary>
    public bool Read()
    {
        if (_empty) return false;
        while (true)
        {
            if (_positioned)
            {
                _positioned = false;
                if (_reader.EOF) return false;
            }
            else if (!_reader.Read())
            {
                return false;
            }

            if (_reader.IsStartElement && _alternates.TryPeek(out var open) && _reader.Depth == open.Depth + 1)
            {
                if (open.Taken)
                {
                    _reader.Skip();
                    _positioned = true;
                    continue;
                }
                _alternates.Pop();
                _alternates.Push((open.Depth, true));
            }
            if (_reader.ElementType == typeof(AlternateContent))
            {
                if (_reader.IsStartElement) _alternates.Push((_reader.Depth, false));
                else _alternates.Pop();
            }
            return true;
        }
    }

    /// <summary>At a start event: leaves the element and its content unread; no end event follows for it.</summary>
    public void Skip()
    {
        if (_reader.ElementType == typeof(AlternateContent) && _reader.IsStartElement) _alternates.Pop();
        _reader.Skip();
        _positioned = true;
    }

    public void Dispose() => _reader.Dispose();
}
