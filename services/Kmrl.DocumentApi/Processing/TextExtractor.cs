using System.Text;
using DocumentFormat.OpenXml.Packaging;
using DocumentFormat.OpenXml.Spreadsheet;
using Kmrl.DocumentApi.Extensions;
using Kmrl.DocumentApi.Model;
using Kmrl.DocumentApi.Ports;
using MimeKit;
using Drawing = DocumentFormat.OpenXml.Drawing;
using Wordprocessing = DocumentFormat.OpenXml.Wordprocessing;

namespace Kmrl.DocumentApi.Processing;

/// <summary>Text of a document, page by page, and how it was obtained.</summary>
public sealed record ExtractedText(
    ExtractionOutcome Outcome,
    string Extractor,
    IReadOnlyList<string> Pages,
    IReadOnlyList<int> OcrPages,
    IReadOnlyDictionary<string, string> Properties,
    IReadOnlyList<int>? FailedPages = null,
    IReadOnlyList<PageSource>? PageSources = null,
    IReadOnlyDictionary<string, string>? FormFields = null,
    IReadOnlyList<string>? ActiveContent = null)
{
    /// <summary>Pages are joined with form feeds in the stored text blob, so later stages can split them again.</summary>
    public const char PageSeparator = '\f';

    public static IReadOnlyList<string> SplitPages(string text) => text.Length == 0 ? [] : text.Split(PageSeparator);
}

/// <summary>
/// Text from every supported kind: PDF per page with PdfPig (OCR for pages without a text layer), Word, Excel and
/// PowerPoint with the Open XML SDK, plain text, e-mail bodies with MimeKit, images by OCR. A file that cannot be
/// read is a <see cref="DocumentUnreadableException"/> with a named reason, never a parser's own exception.
/// </summary>
public sealed class TextExtractor(IOcrEngine ocr, PdfTextReader pdf, DocumentProcessingOptions options) : ITextExtraction
{
    public const string PropertySender = "sender";
    public const string PropertySubject = "subject";

    public async Task<ExtractedText> ExtractAsync(string path, DocumentKind kind, CancellationToken cancellationToken) => kind switch
    {
        DocumentKind.Pdf => await pdf.ReadAsync(path, cancellationToken),
        DocumentKind.Docx => Single("openxml-word", OpenXml("Word", () => ExtractWord(path))),
        DocumentKind.Xlsx => Many("openxml-spreadsheet", OpenXml("Excel", () => ExtractSpreadsheet(path))),
        DocumentKind.Pptx => Many("openxml-presentation", OpenXml("PowerPoint", () => ExtractPresentation(path))),
        DocumentKind.Text => Single("text", await ReadTextAsync(path, cancellationToken)),
        DocumentKind.Email => await ExtractMailAsync(path, cancellationToken),
        DocumentKind.Png or DocumentKind.Jpeg => await RecogniseImageAsync(path, 1, cancellationToken),
        DocumentKind.Tiff => await RecogniseImageAsync(path, TiffFrames.Count(path), cancellationToken),
        DocumentKind.LegacyOffice => new ExtractedText(ExtractionOutcome.NoExtractor, "none", [], [], Empty),
        _ => throw new InvalidOperationException($"No extractor for {kind}; validation should have refused it."),
    };

    private static readonly IReadOnlyDictionary<string, string> Empty = new Dictionary<string, string>();

    private static ExtractedText Single(string extractor, string text) => new(ExtractionOutcome.Extracted, extractor, [text], [], Empty);

    private static ExtractedText Many(string extractor, IReadOnlyList<string> pages) => new(ExtractionOutcome.Extracted, extractor, pages, [], Empty);

    /// <summary>
    /// Every frame of an image OCR'd as its own page (a multi-page TIFF is a scanned document). A frame that cannot be
    /// read is a failed page; an image of which no frame can be read is unreadable-image.
    /// </summary>
    private async Task<ExtractedText> RecogniseImageAsync(string path, int frames, CancellationToken cancellationToken)
    {
        var pages = new List<string>();
        var sources = new List<PageSource>();
        var read = new List<int>();
        var failed = new List<int>();
        ToolFailedException? lastFailure = null;
        for (var frame = 0; frame < Math.Min(frames, options.MaxOcrPages); frame++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            try
            {
                var page = await ocr.ReadImageAsync(path, frame, cancellationToken);
                pages.Add(page.Text.Trim());
                read.Add(frame + 1);
                sources.Add(PageSource.FromOcr(frame + 1, PageSources.Ocr, "image", page));
            }
            catch (ToolFailedException failure) when (frames > 1)
            {
                lastFailure = failure;
                pages.Add(string.Empty);
                failed.Add(frame + 1);
                sources.Add(new PageSource(frame + 1, PageSources.Failed, $"{failure.Tool} failed: {failure.ToolMessage}"));
            }
            catch (ToolFailedException failure)
            {
                throw new DocumentUnreadableException(RejectionReasons.UnreadableImage, $"{failure.Tool} could not read the image: {failure.ToolMessage}");
            }
        }
        if (read.Count == 0 && lastFailure is not null)
        {
            throw new DocumentUnreadableException(RejectionReasons.UnreadableImage, $"{lastFailure.Tool} could not read any page of the image: {lastFailure.ToolMessage}");
        }
        for (var frame = pages.Count; frame < frames; frame++)
        {
            // Past the OCR page cap: counted and said, not read.
            pages.Add(string.Empty);
            failed.Add(frame + 1);
            sources.Add(new PageSource(frame + 1, PageSources.Failed, $"not OCR'd: past the cap of {options.MaxOcrPages} OCR pages"));
        }
        return new ExtractedText(ExtractionOutcome.Extracted, "ocr", pages, read, Empty, failed, sources);
    }

    /// <summary>A damaged package (bad zip, broken or DTD-bearing XML, missing parts) is corrupt-ooxml, not a retry.</summary>
    private static T OpenXml<T>(string application, Func<T> read)
    {
        try
        {
            return read();
        }
        catch (Exception ex) when (ex is OpenXmlPackageException or InvalidDataException or System.Xml.XmlException or FileFormatException or InvalidOperationException)
        {
            throw new DocumentUnreadableException(RejectionReasons.CorruptOoxml, $"The Open XML SDK could not read the {application} package.");
        }
    }

    /// <summary>
    /// Validation refuses deep packages already; this guards every part again right before the SDK's recursive DOM
    /// load, so a path that skipped validation (a reprocessing run, a changed cap) fails as this one document.
    /// </summary>
    private void EnsureShallow(OpenXmlPart? part)
    {
        if (part is null) return;
        using var stream = part.GetStream(FileMode.Open, FileAccess.Read);
        if (XmlNesting.Exceeds(stream, options.MaxXmlDepth))
        {
            // Named and answered like any unreadable file (no retries), and not taken for a corrupt package below.
            throw new DocumentUnreadableException(RejectionReasons.TooDeeplyNested, $"An element of {part.Uri} nests deeper than {options.MaxXmlDepth} levels.");
        }
    }

    private string ExtractWord(string path)
    {
        using var document = WordprocessingDocument.Open(path, false);
        EnsureShallow(document.MainDocumentPart);
        var body = document.MainDocumentPart?.Document?.Body;
        if (body is null) return string.Empty;
        var builder = new StringBuilder();
        foreach (var paragraph in body.Descendants<Wordprocessing.Paragraph>())
        {
            builder.AppendLine(string.Concat(paragraph.Descendants<Wordprocessing.Text>().Select(t => t.Text)));
        }
        return builder.ToString().Trim();
    }

    private List<string> ExtractSpreadsheet(string path)
    {
        using var document = SpreadsheetDocument.Open(path, false);
        var workbook = document.WorkbookPart;
        EnsureShallow(workbook);
        EnsureShallow(workbook?.SharedStringTablePart);
        if (workbook?.Workbook?.Sheets is null) return [];
        var shared = workbook.SharedStringTablePart?.SharedStringTable?.Elements<SharedStringItem>().Select(i => i.InnerText).ToList() ?? [];
        var pages = new List<string>();
        foreach (var sheet in workbook.Workbook.Sheets.Elements<Sheet>())
        {
            if (sheet.Id?.Value is not { } id || workbook.GetPartById(id) is not WorksheetPart part) continue;
            EnsureShallow(part);
            var builder = new StringBuilder();
            builder.AppendLine(sheet.Name?.Value);
            foreach (var row in part.Worksheet?.Descendants<Row>() ?? [])
            {
                var cells = row.Elements<Cell>().Select(cell => CellText(cell, shared)).Where(t => t.Length > 0);
                builder.AppendLine(string.Join('\t', cells));
            }
            pages.Add(builder.ToString().Trim());
        }
        return pages;
    }

    private static string CellText(Cell cell, List<string> shared)
    {
        var raw = cell.CellValue?.Text ?? cell.InlineString?.InnerText ?? string.Empty;
        if (cell.DataType?.Value == CellValues.SharedString && int.TryParse(raw, out var index) && index >= 0 && index < shared.Count)
        {
            return shared[index];
        }
        return raw;
    }

    private List<string> ExtractPresentation(string path)
    {
        using var document = PresentationDocument.Open(path, false);
        var presentation = document.PresentationPart;
        EnsureShallow(presentation);
        var slideIds = presentation?.Presentation?.SlideIdList?.Elements<DocumentFormat.OpenXml.Presentation.SlideId>() ?? [];
        var pages = new List<string>();
        foreach (var slideId in slideIds)
        {
            if (slideId.RelationshipId?.Value is not { } rel || presentation!.GetPartById(rel) is not SlidePart slide) continue;
            EnsureShallow(slide);
            var paragraphs = slide.Slide?.Descendants<Drawing.Paragraph>()
                .Select(p => string.Concat(p.Descendants<Drawing.Text>().Select(t => t.Text)))
                .Where(t => t.Length > 0) ?? [];
            pages.Add(string.Join('\n', paragraphs));
        }
        return pages;
    }

    private static async Task<string> ReadTextAsync(string path, CancellationToken cancellationToken)
    {
        using var reader = new StreamReader(path, Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
        return (await reader.ReadToEndAsync(cancellationToken)).Replace(ExtractedText.PageSeparator, '\n');
    }

    private static async Task<ExtractedText> ExtractMailAsync(string path, CancellationToken cancellationToken)
    {
        var message = await MimeMessage.LoadAsync(path, cancellationToken);
        var body = message.TextBody ?? HtmlToText(message.HtmlBody) ?? string.Empty;
        var properties = new Dictionary<string, string>();
        if (message.From.Mailboxes.FirstOrDefault() is { } from) properties[PropertySender] = from.Address;
        if (message.Subject is { } subject) properties[PropertySubject] = subject;
        var text = $"{message.Subject}\n\n{body}".Trim().Replace(ExtractedText.PageSeparator, '\n');
        return new ExtractedText(ExtractionOutcome.Extracted, "mimekit", [text], [], properties);
    }

    /// <summary>
    /// Text of an HTML-only mail body: tags become spaces, script and style elements go with their content, entities
    /// are decoded. One forward pass (every search starts where the last one ended), so hostile markup costs linear
    /// time; the regex it replaces rescanned to the end from every unclosed '&lt;'.
    /// </summary>
    internal static string? HtmlToText(string? html)
    {
        if (html is null) return null;
        var builder = new StringBuilder(html.Length);
        // An element whose end tag was looked for and not found has none later either: never searched twice.
        var unclosed = new HashSet<string>(StringComparer.Ordinal);
        var at = 0;
        while (at < html.Length)
        {
            var open = html.IndexOf('<', at);
            if (open < 0) break;
            var close = html.IndexOf('>', open + 1);
            // No '>' after this '<' means none after any later one either: the rest is text.
            if (close < 0) break;
            if (close == open + 1)
            {
                // "<>" is text, as it was for `<[^>]+>`.
                builder.Append(html, at, close + 1 - at);
                at = close + 1;
                continue;
            }
            builder.Append(html, at, open - at).Append(' ');
            at = close + 1;
            if (RawTextElement(html, open + 1) is { } element && !unclosed.Contains(element))
            {
                var end = html.IndexOf("</" + element, at, StringComparison.OrdinalIgnoreCase);
                var endClose = end < 0 ? -1 : html.IndexOf('>', end);
                if (endClose < 0)
                {
                    unclosed.Add(element);
                }
                else
                {
                    at = endClose + 1;
                }
            }
        }
        builder.Append(html, at, html.Length - at);
        return System.Net.WebUtility.HtmlDecode(builder.ToString());
    }

    private static string? RawTextElement(string html, int nameAt)
    {
        foreach (var element in (ReadOnlySpan<string>)["script", "style"])
        {
            if (string.Compare(html, nameAt, element, 0, element.Length, StringComparison.OrdinalIgnoreCase) == 0)
            {
                return element;
            }
        }
        return null;
    }
}
