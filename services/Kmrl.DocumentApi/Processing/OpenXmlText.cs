using System.Text;
using DocumentFormat.OpenXml;
using DocumentFormat.OpenXml.Packaging;
using Drawing = DocumentFormat.OpenXml.Drawing;
using Charts = DocumentFormat.OpenXml.Drawing.Charts;
using P = DocumentFormat.OpenXml.Presentation;
using S = DocumentFormat.OpenXml.Spreadsheet;
using W = DocumentFormat.OpenXml.Wordprocessing;

namespace Kmrl.DocumentApi.Processing;

/// <summary>
/// The text of Open XML markup as a reader sees it. Markup compatibility: of an <c>mc:AlternateContent</c> only the
/// first choice is read (the fallback holds the same text again for older readers), which is why a Word text box came
/// out four times (its wps and VML copies, each inline in the host paragraph and again as its own paragraphs). Tabs,
/// breaks and no-break hyphens are characters of the text; a soft hyphen is only a place a word may be split.
/// </summary>
public static class OpenXmlText
{
    /// <summary>Word: one line per paragraph in reading order; a text box's paragraphs follow the paragraph anchoring it.</summary>
    public static string Word(OpenXmlElement body)
    {
        var lines = new List<string>();
        WordBlock(body, lines);
        return string.Join('\n', lines).Trim();
    }

    private static void WordBlock(OpenXmlElement container, List<string> lines)
    {
        foreach (var child in container.ChildElements)
        {
            switch (child)
            {
                case W.Paragraph paragraph:
                    var line = new StringBuilder();
                    var boxes = new List<OpenXmlElement>();
                    WordInline(paragraph, line, boxes);
                    lines.Add(line.ToString());
                    foreach (var box in boxes) WordBlock(box, lines);
                    break;
                case AlternateContent alternate:
                    if (Chosen(alternate) is { } chosen) WordBlock(chosen, lines);
                    break;
                default:
                    WordBlock(child, lines);
                    break;
            }
        }
    }

    private static void WordInline(OpenXmlElement element, StringBuilder line, List<OpenXmlElement> boxes)
    {
        foreach (var child in element.ChildElements)
        {
            switch (child)
            {
                case W.Text text:
                    line.Append(text.Text);
                    break;
                case W.TabChar or W.PositionalTab:
                    line.Append('\t');
                    break;
                case W.Break or W.CarriageReturn:
                    line.Append('\n');
                    break;
                case W.NoBreakHyphen:
                    line.Append('-');
                    break;
                case W.SoftHyphen or W.DeletedText or W.FieldCode or W.DeletedFieldCode or W.ParagraphProperties or W.RunProperties:
                    break;
                case W.TextBoxContent box:
                    boxes.Add(box);
                    break;
                case AlternateContent alternate:
                    if (Chosen(alternate) is { } chosen) WordInline(chosen, line, boxes);
                    break;
                default:
                    WordInline(child, line, boxes);
                    break;
            }
        }
    }

    /// <summary>
    /// PowerPoint: the slide's own text, then its charts' titles, series and category names, then the text its layout
    /// and master show on it (shapes that are not placeholders: a placeholder's prompt text is never shown, its
    /// content is the slide's), unless the slide or layout hides the master's shapes.
    /// </summary>
    public static List<string> Slide(SlidePart slide)
    {
        var paragraphs = new List<string>();
        if (slide.Slide is { } root) DrawingBlock(root, paragraphs, skipPlaceholders: false);
        foreach (var chart in slide.ChartParts) Chart(chart, paragraphs);
        if (slide.Slide?.ShowMasterShapes?.Value != false && slide.SlideLayoutPart is { } layout)
        {
            if (layout.SlideLayout is { } layoutRoot) DrawingBlock(layoutRoot, paragraphs, skipPlaceholders: true);
            if (layout.SlideLayout?.ShowMasterShapes?.Value != false && layout.SlideMasterPart?.SlideMaster is { } master)
            {
                DrawingBlock(master, paragraphs, skipPlaceholders: true);
            }
        }
        return paragraphs;
    }

    private static void Chart(ChartPart chart, List<string> paragraphs)
    {
        if (chart.ChartSpace is not { } space) return;
        DrawingBlock(space, paragraphs, skipPlaceholders: false);
        foreach (var cache in space.Descendants<Charts.StringCache>())
        {
            foreach (var point in cache.Elements<Charts.StringPoint>())
            {
                if (point.NumericValue?.Text is { Length: > 0 } value) paragraphs.Add(value);
            }
        }
    }

    private static void DrawingBlock(OpenXmlElement container, List<string> paragraphs, bool skipPlaceholders)
    {
        foreach (var child in container.ChildElements)
        {
            switch (child)
            {
                case Drawing.Paragraph paragraph:
                    var text = DrawingParagraph(paragraph);
                    if (text.Length > 0) paragraphs.Add(text);
                    break;
                case P.Shape shape when skipPlaceholders && shape.NonVisualShapeProperties?.ApplicationNonVisualDrawingProperties?.PlaceholderShape is not null:
                    break;
                case AlternateContent alternate:
                    if (Chosen(alternate) is { } chosen) DrawingBlock(chosen, paragraphs, skipPlaceholders);
                    break;
                default:
                    DrawingBlock(child, paragraphs, skipPlaceholders);
                    break;
            }
        }
    }

    private static string DrawingParagraph(Drawing.Paragraph paragraph)
    {
        var builder = new StringBuilder();
        foreach (var child in paragraph.ChildElements)
        {
            switch (child)
            {
                case Drawing.Run run:
                    builder.Append(run.Text?.Text);
                    break;
                case Drawing.Field field:
                    builder.Append(field.Text?.Text);
                    break;
                case Drawing.Break:
                    builder.Append('\n');
                    break;
            }
        }
        return builder.ToString();
    }

    /// <summary>
    /// Excel: a shared or inline string's text is its <c>t</c> and its runs' <c>t</c>; the phonetic runs
    /// (<c>rPh</c>, furigana over Japanese text) are a reading aid, not part of the value.
    /// </summary>
    public static string StringItem(OpenXmlElement? item) => item is null
        ? string.Empty
        : string.Concat(item.ChildElements.Select(child => child switch
        {
            S.Text text => text.Text,
            S.Run run => run.Text?.Text ?? string.Empty,
            _ => string.Empty,
        }));

    private static OpenXmlElement? Chosen(AlternateContent alternate) =>
        alternate.ChildElements.OfType<AlternateContentChoice>().FirstOrDefault()
        ?? (OpenXmlElement?)alternate.ChildElements.OfType<AlternateContentFallback>().FirstOrDefault();
}
