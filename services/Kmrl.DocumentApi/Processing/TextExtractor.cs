using System.Text;
using DocumentFormat.OpenXml.Packaging;
using DocumentFormat.OpenXml.Spreadsheet;
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
    IReadOnlyList<int>? FailedPages = null)
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
public sealed class TextExtractor(IOcrEngine ocr, PdfTextReader pdf)
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
        DocumentKind.Png or DocumentKind.Jpeg or DocumentKind.Tiff =>
            new ExtractedText(ExtractionOutcome.Extracted, "ocr", [await RecogniseImageAsync(path, cancellationToken)], [1], Empty),
        DocumentKind.LegacyOffice => new ExtractedText(ExtractionOutcome.NoExtractor, "none", [], [], Empty),
        _ => throw new InvalidOperationException($"No extractor for {kind}; validation should have refused it."),
    };

    private static readonly IReadOnlyDictionary<string, string> Empty = new Dictionary<string, string>();

    private static ExtractedText Single(string extractor, string text) => new(ExtractionOutcome.Extracted, extractor, [text], [], Empty);

    private static ExtractedText Many(string extractor, IReadOnlyList<string> pages) => new(ExtractionOutcome.Extracted, extractor, pages, [], Empty);

    private async Task<string> RecogniseImageAsync(string path, CancellationToken cancellationToken)
    {
        try
        {
            return await ocr.RecogniseImageAsync(path, cancellationToken);
        }
        catch (ToolFailedException failed)
        {
            throw new DocumentUnreadableException(RejectionReasons.UnreadableImage, $"{failed.Tool} could not read the image: {failed.ToolMessage}");
        }
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

    private static string ExtractWord(string path)
    {
        using var document = WordprocessingDocument.Open(path, false);
        var body = document.MainDocumentPart?.Document?.Body;
        if (body is null) return string.Empty;
        var builder = new StringBuilder();
        foreach (var paragraph in body.Descendants<Wordprocessing.Paragraph>())
        {
            builder.AppendLine(string.Concat(paragraph.Descendants<Wordprocessing.Text>().Select(t => t.Text)));
        }
        return builder.ToString().Trim();
    }

    private static List<string> ExtractSpreadsheet(string path)
    {
        using var document = SpreadsheetDocument.Open(path, false);
        var workbook = document.WorkbookPart;
        if (workbook?.Workbook?.Sheets is null) return [];
        var shared = workbook.SharedStringTablePart?.SharedStringTable?.Elements<SharedStringItem>().Select(i => i.InnerText).ToList() ?? [];
        var pages = new List<string>();
        foreach (var sheet in workbook.Workbook.Sheets.Elements<Sheet>())
        {
            if (sheet.Id?.Value is not { } id || workbook.GetPartById(id) is not WorksheetPart part) continue;
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

    private static List<string> ExtractPresentation(string path)
    {
        using var document = PresentationDocument.Open(path, false);
        var presentation = document.PresentationPart;
        var slideIds = presentation?.Presentation?.SlideIdList?.Elements<DocumentFormat.OpenXml.Presentation.SlideId>() ?? [];
        var pages = new List<string>();
        foreach (var slideId in slideIds)
        {
            if (slideId.RelationshipId?.Value is not { } rel || presentation!.GetPartById(rel) is not SlidePart slide) continue;
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

    private static string? HtmlToText(string? html)
    {
        if (html is null) return null;
        var withoutTags = System.Text.RegularExpressions.Regex.Replace(html, "<(script|style)[^>]*>.*?</\\1>|<[^>]+>", " ",
            System.Text.RegularExpressions.RegexOptions.Singleline | System.Text.RegularExpressions.RegexOptions.IgnoreCase);
        return System.Net.WebUtility.HtmlDecode(withoutTags);
    }
}
