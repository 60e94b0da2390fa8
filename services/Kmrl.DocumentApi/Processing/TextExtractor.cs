using System.Text;
using DocumentFormat.OpenXml.Packaging;
using Kmrl.DocumentApi.Extensions;
using Kmrl.DocumentApi.Model;
using Kmrl.DocumentApi.Ports;
using Kmrl.Mime;
using MimeKit;
using MimeKit.Cryptography;
using MimeKit.Text;

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
/// PowerPoint with the Open XML SDK, legacy Office, OpenDocument and RTF through LibreOffice's OOXML copy, plain text,
/// e-mail (and Outlook .msg through msgconvert) with MimeKit, its attachments' text included, images by OCR. A file
/// that cannot be read is a <see cref="DocumentUnreadableException"/> with a named reason, never a parser's own
/// exception; a converter that is not installed leaves the document catalogued without text, marked
/// <c>tool-missing:&lt;tool&gt;</c>.
/// </summary>
public sealed class TextExtractor(IOcrEngine ocr, PdfTextReader pdf, DocumentProcessingOptions options, IOfficeConverter? office = null)
    : ITextExtraction
{
    public const string PropertySender = "sender";
    public const string PropertySubject = "subject";
    /// <summary>Attachments of a mail whose text follows the body, as pages of their own.</summary>
    public const string PropertyAttachments = "attachments";
    /// <summary>Attachments that could not be read, each with its reason ("scan.zip (unsupported-type)").</summary>
    public const string PropertyUnreadAttachments = "unread-attachments";
    public const string PropertyMissingTool = "missing-tool";

    // .NET has only the Unicode and Latin encodings built in; MimeKit decodes ISO-2022-JP, Shift_JIS, windows-125x,
    // KOI8-R ... bodies only once the code-page provider is registered (idempotent, process-wide).
    static TextExtractor() => Encoding.RegisterProvider(CodePagesEncodingProvider.Instance);

    /// <summary>A mail inside a mail inside a mail is read; deeper ones are listed as unread.</summary>
    private const int MaxMailDepth = 3;

    public Task<ExtractedText> ExtractAsync(string path, DocumentKind kind, CancellationToken cancellationToken) =>
        ExtractAsync(path, kind, 0, cancellationToken);

    private async Task<ExtractedText> ExtractAsync(string path, DocumentKind kind, int depth, CancellationToken cancellationToken) => kind switch
    {
        DocumentKind.Pdf => await pdf.ReadAsync(path, cancellationToken),
        DocumentKind.Docx => Single("openxml-word", OpenXml("Word", () => ExtractWord(path))),
        DocumentKind.Xlsx => Many("openxml-spreadsheet", OpenXml("Excel", () => ExtractSpreadsheet(path))),
        DocumentKind.Pptx => Many("openxml-presentation", OpenXml("PowerPoint", () => ExtractPresentation(path))),
        DocumentKind.Text => Single("text", await ReadTextAsync(path, cancellationToken)),
        DocumentKind.Email => await ExtractMailAsync(path, "mimekit", depth, cancellationToken),
        DocumentKind.OutlookMessage => await ExtractOutlookAsync(path, depth, cancellationToken),
        DocumentKind.Rtf or DocumentKind.Odt or DocumentKind.Ods or DocumentKind.Odp or DocumentKind.LegacyOffice =>
            await ExtractConvertedAsync(path, kind, cancellationToken),
        DocumentKind.Png or DocumentKind.Jpeg => await RecogniseImageAsync(path, 1, cancellationToken),
        DocumentKind.Tiff => await RecogniseImageAsync(path, TiffFrames.Count(path), cancellationToken),
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
    /// Validation refuses deep packages already; this guards every part again right before it is read, so a path that
    /// skipped validation (a reprocessing run, a changed cap) fails as this one named document, not a deep walk.
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

    // Each part is read as a stream (OpenXmlText), never as the SDK's DOM: see OpenXmlPartWalk.
    private string ExtractWord(string path)
    {
        using var document = WordprocessingDocument.Open(path, false);
        if (document.MainDocumentPart is not { } main) return string.Empty;
        EnsureShallow(main);
        return OpenXmlText.Word(main);
    }

    private List<string> ExtractSpreadsheet(string path)
    {
        using var document = SpreadsheetDocument.Open(path, false);
        if (document.WorkbookPart is not { } workbook) return [];
        EnsureShallow(workbook);
        EnsureShallow(workbook.SharedStringTablePart);
        var shared = workbook.SharedStringTablePart is { } strings ? OpenXmlText.SharedStrings(strings) : [];
        var pages = new List<string>();
        foreach (var (name, id) in OpenXmlText.Sheets(workbook))
        {
            if (id is null || workbook.GetPartById(id) is not WorksheetPart part) continue;
            EnsureShallow(part);
            pages.Add(OpenXmlText.Worksheet(part, name, shared));
        }
        return pages;
    }

    private List<string> ExtractPresentation(string path)
    {
        using var document = PresentationDocument.Open(path, false);
        if (document.PresentationPart is not { } presentation) return [];
        EnsureShallow(presentation);
        var pages = new List<string>();
        foreach (var rel in OpenXmlText.SlideIds(presentation))
        {
            if (presentation.GetPartById(rel) is not SlidePart slide) continue;
            EnsureShallow(slide);
            EnsureShallow(slide.SlideLayoutPart);
            EnsureShallow(slide.SlideLayoutPart?.SlideMasterPart);
            foreach (var chart in slide.ChartParts) EnsureShallow(chart);
            pages.Add(string.Join('\n', OpenXmlText.Slide(slide)));
        }
        return pages;
    }

    private static async Task<string> ReadTextAsync(string path, CancellationToken cancellationToken)
    {
        using var reader = new StreamReader(path, Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
        return (await reader.ReadToEndAsync(cancellationToken)).Replace(ExtractedText.PageSeparator, '\n');
    }

    /// <summary>
    /// Legacy Office, OpenDocument and RTF: LibreOffice writes the OOXML counterpart and the Open XML extractor reads
    /// it, so one reader (text boxes, breaks, sheets as pages, slides as pages) serves both generations.
    /// </summary>
    private async Task<ExtractedText> ExtractConvertedAsync(string path, DocumentKind kind, CancellationToken cancellationToken)
    {
        var (application, extension) = kind switch
        {
            DocumentKind.Rtf => (LegacyApplication.Writer, ".rtf"),
            DocumentKind.Odt => (LegacyApplication.Writer, ".odt"),
            DocumentKind.Ods => (LegacyApplication.Calc, ".ods"),
            DocumentKind.Odp => (LegacyApplication.Impress, ".odp"),
            _ => LegacyOfficeApplication(path),
        };
        if (extension.Length == 0)
        {
            // An OLE file of no Office application we know (Visio, Project, a bare container): nothing to read it with.
            return new ExtractedText(ExtractionOutcome.NoExtractor, "none", [], [], Empty);
        }
        var folder = Directory.CreateTempSubdirectory("kmrl-office-");
        try
        {
            string converted;
            try
            {
                converted = await (office ?? throw new ToolNotInstalledException("soffice"))
                    .ConvertToOpenXmlAsync(path, extension, application, folder.FullName, cancellationToken);
            }
            catch (ToolNotInstalledException missing)
            {
                return ToolMissing(missing);
            }
            var inner = application switch
            {
                LegacyApplication.Writer => Single("openxml-word", OpenXml("Word", () => ExtractWord(converted))),
                LegacyApplication.Calc => Many("openxml-spreadsheet", OpenXml("Excel", () => ExtractSpreadsheet(converted))),
                _ => Many("openxml-presentation", OpenXml("PowerPoint", () => ExtractPresentation(converted))),
            };
            return inner with { Extractor = "libreoffice+" + inner.Extractor };
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    /// <summary>Which application a Word/Excel/PowerPoint 97 file is, from its root streams (or, when its directory cannot be walked, its name).</summary>
    private static (LegacyApplication, string) LegacyOfficeApplication(string path)
    {
        var names = CompoundFile.RootNames(path);
        var application = names is not null
            ? CompoundFile.ApplicationOf(names)
            : Path.GetExtension(path).ToLowerInvariant() switch
            {
                ".doc" => LegacyApplication.Writer,
                ".xls" => LegacyApplication.Calc,
                ".ppt" => LegacyApplication.Impress,
                _ => (LegacyApplication?)null,
            };
        return application switch
        {
            LegacyApplication.Writer => (LegacyApplication.Writer, ".doc"),
            LegacyApplication.Calc => (LegacyApplication.Calc, ".xls"),
            LegacyApplication.Impress => (LegacyApplication.Impress, ".ppt"),
            _ => (LegacyApplication.Writer, string.Empty),
        };
    }

    private static ExtractedText ToolMissing(ToolNotInstalledException missing) =>
        new(ExtractionOutcome.NoExtractor, "tool-missing:" + missing.Tool, [], [],
            new Dictionary<string, string> { [PropertyMissingTool] = missing.Detail });

    private async Task<ExtractedText> ExtractOutlookAsync(string path, int depth, CancellationToken cancellationToken)
    {
        var folder = Directory.CreateTempSubdirectory("kmrl-msg-");
        try
        {
            string eml;
            try
            {
                eml = await (office ?? throw new ToolNotInstalledException("msgconvert")).ConvertMessageAsync(path, folder.FullName, cancellationToken);
            }
            catch (ToolNotInstalledException missing)
            {
                return ToolMissing(missing);
            }
            return await ExtractMailAsync(eml, "msgconvert+mimekit", depth, cancellationToken);
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    /// <summary>
    /// The subject and body as the first page, then every attachment's pages (a TNEF winmail.dat's documents, a
    /// forwarded message's text and its own attachments too). An attachment that cannot be read does not fail the
    /// mail: it is listed with its reason in <see cref="PropertyUnreadAttachments"/>.
    /// </summary>
    private async Task<ExtractedText> ExtractMailAsync(string path, string extractor, int depth, CancellationToken cancellationToken)
    {
        MimeMessage message;
        try
        {
            message = await MimeMessage.LoadAsync(path, cancellationToken);
        }
        catch (FormatException ex)
        {
            throw new DocumentUnreadableException(RejectionReasons.CorruptOffice, $"MimeKit could not parse the message: {ex.Message}");
        }
        var sealedBody = OpenSecureBody(message);
        var body = BodyText(message, TextFormat.Plain) ?? HtmlToText(BodyText(message, TextFormat.Html)) ?? string.Empty;
        var properties = new Dictionary<string, string>();
        if (message.From.Mailboxes.FirstOrDefault() is { } from) properties[PropertySender] = from.Address;
        if (message.Subject is { } subject) properties[PropertySubject] = subject;
        var pages = new List<string> { $"{message.Subject}\n\n{body}".Trim().Replace(ExtractedText.PageSeparator, '\n') };
        var ocrPages = new List<int>();
        var failedPages = new List<int>();
        var read = new List<string>();
        var unread = new List<string>();
        if (sealedBody is not null) unread.Add(sealedBody);
        var folder = Directory.CreateTempSubdirectory("kmrl-mail-");
        try
        {
            var index = 0;
            foreach (var (name, contentType, entity, unreadable) in MailAttachments(message))
            {
                if (entity is null)
                {
                    unread.Add($"{name} ({unreadable})");
                    continue;
                }
                var file = Path.Combine(folder.FullName, (index++).ToString(System.Globalization.CultureInfo.InvariantCulture) + SafeExtension(name));
                var outcome = await ExtractAttachmentAsync(entity, file, name, contentType, depth, cancellationToken);
                File.Delete(file);
                if (outcome.Text is not { } text)
                {
                    unread.Add($"{name} ({outcome.Reason})");
                    continue;
                }
                read.Add(name);
                ocrPages.AddRange(text.OcrPages.Select(p => p + pages.Count));
                failedPages.AddRange((text.FailedPages ?? []).Select(p => p + pages.Count));
                pages.AddRange(text.Pages);
            }
        }
        finally
        {
            folder.Delete(recursive: true);
        }
        if (read.Count > 0) properties[PropertyAttachments] = string.Join(", ", read);
        if (unread.Count > 0) properties[PropertyUnreadAttachments] = string.Join(", ", unread);
        return new ExtractedText(ExtractionOutcome.Extracted, extractor, pages, ocrPages, properties, failedPages.Count > 0 ? failedPages : null);
    }

    /// <summary>
    /// The message's body in <paramref name="format"/>, decoded with the charset it names through .NET's own encodings
    /// (the code pages included): MimeKit resolves a charset once per process and keeps a miss, so a mail read before
    /// the code-page provider was registered would stay undecoded for good.
    /// </summary>
    private static string? BodyText(MimeMessage message, TextFormat format)
    {
        if (message.GetTextBody(format) is not { } text) return null;
        var part = message.BodyParts.OfType<TextPart>().FirstOrDefault(p => !p.IsAttachment && (format == TextFormat.Html ? p.IsHtml : p.IsPlain));
        if (part?.ContentType.Charset is not { } charset) return text;
        try
        {
            return part.GetText(Encoding.GetEncoding(charset));
        }
        catch (ArgumentException)
        {
            return text; // a charset .NET does not know: MimeKit's own fallback (UTF-8, then Latin-1)
        }
    }

    private async Task<(ExtractedText? Text, string Reason)> ExtractAttachmentAsync(
        MimeEntity entity, string file, string name, string contentType, int depth, CancellationToken cancellationToken)
    {
        if (depth + 1 >= MaxMailDepth) return (null, "nested-too-deep");
        await using (var target = File.Create(file))
        {
            if (entity is MessagePart { Message: { } forwarded }) await forwarded.WriteToAsync(target, cancellationToken);
            else if (entity is MimePart part && part.Content is not null) await part.Content.DecodeToAsync(target, cancellationToken);
        }
        ValidationResult validation;
        await using (var content = File.OpenRead(file))
        {
            validation = new ContentSniffer(options).Validate(content, contentType, name);
        }
        if (!validation.Accepted) return (null, validation.Reason ?? RejectionReasons.UnsupportedType);
        try
        {
            var text = await ExtractAsync(file, validation.Kind, depth + 1, cancellationToken);
            return text.Outcome == ExtractionOutcome.Extracted ? (text, string.Empty) : (null, text.Extractor);
        }
        catch (DocumentUnreadableException unreadable)
        {
            return (null, unreadable.Reason);
        }
    }

    /// <summary>
    /// An opaque S/MIME body (smime.p7m) stands for what it wraps, as the e-mail connector reads it (the same
    /// <see cref="MimeContainers"/>): signed-data unwrapped, compressed-data decompressed, so the body text and the
    /// attachments are the signed ones. Encrypted (enveloped) content is named, "smime.p7m (encrypted-smime)", and the
    /// mail is catalogued with its headers; the result is that entry, or null.
    /// </summary>
    private static string? OpenSecureBody(MimeMessage message)
    {
        for (var depth = 0; depth < MaxMailDepth && message.Body is ApplicationPkcs7Mime opaque; depth++)
        {
            var (inner, unreadable) = MimeContainers.Unwrap(opaque);
            if (inner is null)
            {
                var name = opaque.FileName is { Length: > 0 } file ? SafeFileName.From(file) : "smime.p7m";
                message.Body = new Multipart("mixed");
                return $"{name} ({unreadable?.Split(':')[0] ?? MimeContainers.UnreadableSmime})";
            }
            message.Body = inner;
        }
        return null;
    }

    /// <summary>
    /// Attachments with their names; a TNEF part (winmail.dat) stands for the documents inside it, or, when it cannot
    /// be read, for itself with its reason (<c>unreadable-tnef: …</c>) instead of failing the whole mail.
    /// </summary>
    private static IEnumerable<(string Name, string ContentType, MimeEntity? Entity, string? Unreadable)> MailAttachments(MimeMessage message)
    {
        var index = 0;
        foreach (var attachment in message.Attachments)
        {
            index++;
            // By content type first, as the e-mail connector decides: a clear-signed mail's signature is no document
            // whatever it is named, and an application/octet-stream winmail.dat is TNEF all the same.
            var container = MimeContainers.Classify(attachment.ContentType, (attachment as MimePart)?.FileName);
            if (container == MimeContainerKind.Signature) continue;
            if (container == MimeContainerKind.Tnef && attachment is MimePart part)
            {
                var (inner, unreadable) = MimeContainers.TnefAttachments(part);
                if (unreadable is not null)
                {
                    yield return (NameOf(attachment, index), attachment.ContentType.MimeType, null, unreadable);
                }
                foreach (var entity in inner)
                {
                    yield return (NameOf(entity, index), entity.ContentType.MimeType, entity, null);
                }
                continue;
            }
            yield return (NameOf(attachment, index), attachment.ContentType.MimeType, attachment, null);
        }
    }

    private static string NameOf(MimeEntity entity, int index) => entity switch
    {
        MimePart { FileName: { Length: > 0 } name } => SafeFileName.From(name),
        MessagePart { Message.Subject: { Length: > 0 } subject } => SafeFileName.From(subject + ".eml"),
        MessagePart => $"message-{index}.eml",
        _ => $"attachment-{index}",
    };

    private static string SafeExtension(string name)
    {
        var extension = Path.GetExtension(name);
        return extension.Length is > 1 and <= 6 && extension.Skip(1).All(char.IsAsciiLetterOrDigit) ? extension : string.Empty;
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
