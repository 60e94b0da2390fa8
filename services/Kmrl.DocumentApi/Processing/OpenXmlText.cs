using System.Text;
using DocumentFormat.OpenXml.Packaging;
using Drawing = DocumentFormat.OpenXml.Drawing;
using Charts = DocumentFormat.OpenXml.Drawing.Charts;
using P = DocumentFormat.OpenXml.Presentation;
using S = DocumentFormat.OpenXml.Spreadsheet;
using W = DocumentFormat.OpenXml.Wordprocessing;

namespace Kmrl.DocumentApi.Processing;

/// <summary>
/// The text of Open XML parts as a reader sees it, each part read as a stream (<see cref="OpenXmlPartWalk"/>), so the
/// memory taken is that of the text, not of a DOM many times the part's size. Markup compatibility: of an
/// <c>mc:AlternateContent</c> only the first choice is read (the fallback holds the same text again for older
/// readers), which is why a Word text box came out four times (its wps and VML copies, each inline in the host
/// paragraph and again as its own paragraphs). Tabs, breaks and no-break hyphens are characters of the text; a soft
/// hyphen is only a place a word may be split.
/// </summary>
public static class OpenXmlText
{
    /// <summary>Word: one line per paragraph of the body in reading order; a text box's paragraphs follow the paragraph anchoring it.</summary>
    public static string Word(MainDocumentPart part)
    {
        var output = new StringBuilder();
        var first = true;
        void Emit(string line)
        {
            if (!first) output.Append('\n');
            output.Append(line);
            first = false;
        }

        // One entry per open element inside the body: the paragraph whose line takes its text (null in block
        // context), where the paragraphs it holds go when done (null: the output; a text box: its anchor's list), and
        // whether the element is itself a paragraph being collected.
        var open = new Stack<(WordParagraph? Inline, List<string>? Sink, bool Opens)>();
        using var walk = new OpenXmlPartWalk(part);
        while (walk.Read())
        {
            if (open.Count == 0)
            {
                if (walk.IsStart && walk.Is<W.Body>()) open.Push((null, null, false));
                continue;
            }
            var (inline, sink, _) = open.Peek();
            if (!walk.IsStart)
            {
                var (paragraph, into, opens) = open.Pop();
                if (opens && paragraph is not null)
                {
                    if (into is null)
                    {
                        Emit(paragraph.Line.ToString());
                        foreach (var line in paragraph.After) Emit(line);
                    }
                    else
                    {
                        into.Add(paragraph.Line.ToString());
                        into.AddRange(paragraph.After);
                    }
                }
                if (open.Count == 0) break;
                continue;
            }
            if (inline is null)
            {
                open.Push(walk.Is<W.Paragraph>() ? (new WordParagraph(), sink, true) : (null, sink, false));
                continue;
            }
            var type = walk.ElementType;
            if (type == typeof(W.Text)) inline.Line.Append(walk.Text);
            else if (type == typeof(W.TabChar) || type == typeof(W.PositionalTab)) inline.Line.Append('\t');
            else if (type == typeof(W.Break) || type == typeof(W.CarriageReturn)) inline.Line.Append('\n');
            else if (type == typeof(W.NoBreakHyphen)) inline.Line.Append('-');
            else if (type == typeof(W.SoftHyphen) || type == typeof(W.DeletedText) || type == typeof(W.FieldCode)
                || type == typeof(W.DeletedFieldCode) || type == typeof(W.ParagraphProperties) || type == typeof(W.RunProperties))
            {
                walk.Skip();
                continue;
            }
            else if (type == typeof(W.TextBoxContent))
            {
                // A text box is block content again: its paragraphs follow the anchoring paragraph's line.
                open.Push((null, inline.After, false));
                continue;
            }
            open.Push((inline, sink, false));
        }
        return output.ToString().Trim();
    }

    private sealed class WordParagraph
    {
        public StringBuilder Line { get; } = new();

        public List<string> After { get; } = [];
    }

    /// <summary>
    /// PowerPoint: the slide's own text, then its charts' titles, series and category names, then the text its layout
    /// and master show on it (shapes that are not placeholders: a placeholder's prompt text is never shown, its
    /// content is the slide's), unless the slide or layout hides the master's shapes.
    /// </summary>
    public static List<string> Slide(SlidePart slide)
    {
        var paragraphs = new List<string>();
        var showMaster = DrawingBlock(slide, paragraphs, skipPlaceholders: false);
        foreach (var chart in slide.ChartParts) Chart(chart, paragraphs);
        if (showMaster && slide.SlideLayoutPart is { } layout)
        {
            var layoutShowsMaster = DrawingBlock(layout, paragraphs, skipPlaceholders: true);
            if (layoutShowsMaster && layout.SlideMasterPart is { } master)
            {
                DrawingBlock(master, paragraphs, skipPlaceholders: true);
            }
        }
        return paragraphs;
    }

    private static void Chart(ChartPart chart, List<string> paragraphs)
    {
        DrawingBlock(chart, paragraphs, skipPlaceholders: false);
        // Series and category names: every string cache's point values, in document order.
        using var walk = new OpenXmlPartWalk(chart);
        var cacheDepth = -1;
        while (walk.Read())
        {
            if (!walk.IsStart)
            {
                if (walk.Is<Charts.StringCache>() && walk.Depth == cacheDepth) cacheDepth = -1;
                continue;
            }
            if (cacheDepth < 0)
            {
                if (walk.Is<Charts.StringCache>()) cacheDepth = walk.Depth;
            }
            else if (walk.Depth == cacheDepth + 2 && walk.Is<Charts.NumericValue>() && walk.Text is { Length: > 0 } value)
            {
                paragraphs.Add(value);
            }
            else if (walk.Depth == cacheDepth + 1 && !walk.Is<Charts.StringPoint>())
            {
                walk.Skip();
            }
        }
    }

    /// <summary>
    /// The non-empty DrawingML paragraphs of a part (a:p: its runs' and fields' text, a:br as a line break). With
    /// <paramref name="skipPlaceholders"/>, a shape that is a placeholder is left out. Answers the root's
    /// <c>showMasterSp</c> (true unless it says otherwise).
    /// </summary>
    private static bool DrawingBlock(OpenXmlPart part, List<string> paragraphs, bool skipPlaceholders)
    {
        var showMaster = true;
        // Open shapes (their paragraphs wait until the shape is known not to be a placeholder) and the paragraph being read.
        var shapes = new Stack<(int Depth, List<string> Paragraphs, bool Placeholder)>();
        StringBuilder? paragraph = null;
        var paragraphDepth = -1;
        using var walk = new OpenXmlPartWalk(part);
        while (walk.Read())
        {
            if (walk.IsStart && walk.Depth == 0)
            {
                showMaster = walk.Attribute("showMasterSp") is not ("0" or "false");
            }
            if (paragraph is not null)
            {
                if (!walk.IsStart)
                {
                    if (walk.Depth == paragraphDepth)
                    {
                        var text = paragraph.ToString();
                        if (text.Length > 0) (shapes.Count > 0 ? shapes.Peek().Paragraphs : paragraphs).Add(text);
                        paragraph = null;
                    }
                    continue;
                }
                // Only a paragraph's own runs, fields and breaks count, and only a run's or field's own a:t.
                if (walk.Depth == paragraphDepth + 1)
                {
                    if (walk.Is<Drawing.Break>()) paragraph.Append('\n');
                    else if (!walk.Is<Drawing.Run>() && !walk.Is<Drawing.Field>()) walk.Skip();
                }
                else if (walk.Is<Drawing.Text>()) paragraph.Append(walk.Text);
                else walk.Skip();
                continue;
            }
            if (walk.IsStart)
            {
                if (walk.Is<Drawing.Paragraph>())
                {
                    paragraph = new StringBuilder();
                    paragraphDepth = walk.Depth;
                }
                else if (skipPlaceholders && walk.Is<P.Shape>())
                {
                    shapes.Push((walk.Depth, [], false));
                }
                else if (walk.Is<P.PlaceholderShape>() && shapes.TryPeek(out var shape) && walk.Depth == shape.Depth + 3)
                {
                    // p:sp/p:nvSpPr/p:nvPr/p:ph
                    shapes.Pop();
                    shapes.Push(shape with { Placeholder = true });
                }
            }
            else if (shapes.TryPeek(out var shape) && walk.Depth == shape.Depth && walk.Is<P.Shape>())
            {
                shapes.Pop();
                if (!shape.Placeholder) (shapes.Count > 0 ? shapes.Peek().Paragraphs : paragraphs).AddRange(shape.Paragraphs);
            }
        }
        return showMaster;
    }

    /// <summary>
    /// Excel's shared strings in order. A string item's text is its <c>t</c> and its runs' <c>t</c>; the phonetic
    /// runs (<c>rPh</c>, furigana over Japanese text) are a reading aid, not part of the value.
    /// </summary>
    public static List<string> SharedStrings(SharedStringTablePart part)
    {
        var strings = new List<string>();
        using var walk = new OpenXmlPartWalk(part);
        StringBuilder? item = null;
        while (walk.Read())
        {
            if (walk.Depth == 1 && walk.Is<S.SharedStringItem>())
            {
                if (walk.IsStart) item = new StringBuilder();
                else if (item is not null)
                {
                    strings.Add(item.ToString());
                    item = null;
                }
            }
            else if (item is not null && walk.IsStart)
            {
                ReadStringItemChild(walk, item, itemDepth: 1);
            }
        }
        return strings;
    }

    /// <summary>Inside a string item (si, or a cell's is): its own t, its runs' t; anything else (rPh, phoneticPr) unread.</summary>
    private static void ReadStringItemChild(OpenXmlPartWalk walk, StringBuilder item, int itemDepth)
    {
        if (walk.Depth == itemDepth + 1)
        {
            if (walk.Is<S.Text>()) item.Append(walk.Text);
            else if (!walk.Is<S.Run>()) walk.Skip();
        }
        else if (walk.Depth == itemDepth + 2 && walk.Is<S.Text>()) item.Append(walk.Text);
        else walk.Skip();
    }

    /// <summary>The workbook's sheets in order: name and relationship id.</summary>
    public static List<(string? Name, string? Id)> Sheets(WorkbookPart part)
    {
        var sheets = new List<(string?, string?)>();
        using var walk = new OpenXmlPartWalk(part);
        var sheetsDepth = -1;
        while (walk.Read())
        {
            if (walk.Is<S.Sheets>()) sheetsDepth = walk.IsStart ? walk.Depth : -1;
            else if (walk.IsStart && sheetsDepth >= 0 && walk.Depth == sheetsDepth + 1 && walk.Is<S.Sheet>())
            {
                sheets.Add((walk.Attribute("name"), walk.Attribute("id", namespaced: true)));
            }
        }
        return sheets;
    }

    /// <summary>
    /// A worksheet's rows as lines (after the sheet's name), each the tab-separated non-empty texts of its cells; a
    /// shared-string cell shows its string.
    /// </summary>
    public static string Worksheet(WorksheetPart part, string? name, List<string> shared)
    {
        var builder = new StringBuilder();
        builder.AppendLine(name);
        using var walk = new OpenXmlPartWalk(part);
        var rowDepth = -1;
        var cells = new List<string>();
        // The cell being read: its type, its value (c/v) and its inline string (c/is).
        string? type = null;
        StringBuilder? value = null;
        StringBuilder? inline = null;
        var inCell = false;
        while (walk.Read())
        {
            if (rowDepth < 0)
            {
                if (walk.IsStart && walk.Is<S.Row>()) rowDepth = walk.Depth;
                continue;
            }
            if (walk.Depth == rowDepth)
            {
                // The row's end.
                builder.AppendLine(string.Join('\t', cells));
                cells.Clear();
                rowDepth = -1;
                continue;
            }
            if (walk.Depth == rowDepth + 1)
            {
                if (!walk.Is<S.Cell>())
                {
                    if (walk.IsStart) walk.Skip();
                    continue;
                }
                if (walk.IsStart)
                {
                    inCell = true;
                    type = walk.Attribute("t");
                    value = null;
                    inline = null;
                    continue;
                }
                inCell = false;
                var raw = value?.ToString() ?? inline?.ToString() ?? string.Empty;
                var text = type == "s" && int.TryParse(raw, out var index) && index >= 0 && index < shared.Count ? shared[index] : raw;
                if (text.Length > 0) cells.Add(text);
                continue;
            }
            if (!inCell || !walk.IsStart) continue;
            var cellDepth = rowDepth + 1;
            if (walk.Depth == cellDepth + 1)
            {
                if (walk.Is<S.CellValue>()) (value ??= new StringBuilder()).Append(walk.Text);
                else if (walk.Is<S.InlineString>()) inline ??= new StringBuilder();
                else walk.Skip();
            }
            else if (inline is not null)
            {
                ReadStringItemChild(walk, inline, cellDepth + 1);
            }
            else
            {
                walk.Skip();
            }
        }
        return builder.ToString().Trim();
    }

    /// <summary>The presentation's slides in order: their relationship ids.</summary>
    public static List<string> SlideIds(PresentationPart part)
    {
        var ids = new List<string>();
        using var walk = new OpenXmlPartWalk(part);
        var listDepth = -1;
        while (walk.Read())
        {
            if (walk.Is<P.SlideIdList>()) listDepth = walk.IsStart ? walk.Depth : -1;
            else if (walk.IsStart && listDepth >= 0 && walk.Depth == listDepth + 1 && walk.Is<P.SlideId>()
                && walk.Attribute("id", namespaced: true) is { } id)
            {
                ids.Add(id);
            }
        }
        return ids;
    }
}
