using System.Diagnostics;
using System.Globalization;
using System.IO.Compression;
using System.Text;
using DocumentFormat.OpenXml;
using DocumentFormat.OpenXml.Packaging;
using MimeKit;
using UglyToad.PdfPig.Content;
using UglyToad.PdfPig.Core;
using UglyToad.PdfPig.Fonts.Standard14Fonts;
using UglyToad.PdfPig.Writer;
using A = DocumentFormat.OpenXml.Drawing;
using P = DocumentFormat.OpenXml.Presentation;
using S = DocumentFormat.OpenXml.Spreadsheet;
using W = DocumentFormat.OpenXml.Wordprocessing;

namespace Kmrl.Testing.Documents;

/// <summary>
/// The documents the tests run on, generated on the fly: nothing binary is committed. Scans are rendered by
/// tesseract's text2image with the Noto fonts (English and Malayalam), then wrapped in a PDF with no text layer.
/// </summary>
public static class TestCorpus
{
    public const string Pdf = "application/pdf";
    public const string DocxType = "application/vnd.openxmlformats-officedocument.wordprocessingml.document";
    public const string XlsxType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
    public const string PptxType = "application/vnd.openxmlformats-officedocument.presentationml.presentation";

    /// <summary>A PDF with a real text layer, one string per page, lines split on '\n'.</summary>
    public static byte[] TextPdf(params string[] pages)
    {
        var builder = new PdfDocumentBuilder();
        var font = builder.AddStandard14Font(Standard14Font.Helvetica);
        foreach (var text in pages)
        {
            var page = builder.AddPage(PageSize.A4);
            var y = 780.0;
            foreach (var line in text.Split('\n'))
            {
                page.AddText(line, 11, new PdfPoint(40, y), font);
                y -= 16;
            }
        }
        return builder.Build();
    }

    /// <summary>A PDF encrypted with a user password (qpdf): it cannot be opened without the password.</summary>
    public static byte[] EncryptedPdf() => PdfCases.PasswordEncrypted("Confidential tender evaluation");

    public static byte[] Docx(params string[] paragraphs)
    {
        using var memory = new MemoryStream();
        using (var document = WordprocessingDocument.Create(memory, WordprocessingDocumentType.Document))
        {
            var main = document.AddMainDocumentPart();
            main.Document = new W.Document(new W.Body(paragraphs.Select(p => new W.Paragraph(new W.Run(new W.Text(p))))));
        }
        return memory.ToArray();
    }

    public static byte[] Xlsx(string sheetName, params string[][] rows)
    {
        using var memory = new MemoryStream();
        using (var document = SpreadsheetDocument.Create(memory, SpreadsheetDocumentType.Workbook))
        {
            var workbook = document.AddWorkbookPart();
            workbook.Workbook = new S.Workbook();
            var sheetPart = workbook.AddNewPart<WorksheetPart>();
            var data = new S.SheetData();
            foreach (var row in rows)
            {
                data.Append(new S.Row(row.Select(value => new S.Cell
                {
                    DataType = S.CellValues.InlineString,
                    InlineString = new S.InlineString(new S.Text(value)),
                })));
            }
            sheetPart.Worksheet = new S.Worksheet(data);
            workbook.Workbook.AppendChild(new S.Sheets(new S.Sheet { Id = workbook.GetIdOfPart(sheetPart), SheetId = 1, Name = sheetName }));
        }
        return memory.ToArray();
    }

    public static byte[] Pptx(params string[] slides)
    {
        using var memory = new MemoryStream();
        using (var document = PresentationDocument.Create(memory, PresentationDocumentType.Presentation))
        {
            var presentation = document.AddPresentationPart();
            presentation.Presentation = new P.Presentation(new P.SlideIdList());
            uint id = 256;
            foreach (var text in slides)
            {
                var slidePart = presentation.AddNewPart<SlidePart>();
                slidePart.Slide = new P.Slide(new P.CommonSlideData(new P.ShapeTree(
                    new P.NonVisualGroupShapeProperties(
                        new P.NonVisualDrawingProperties { Id = 1, Name = "" },
                        new P.NonVisualGroupShapeDrawingProperties(),
                        new P.ApplicationNonVisualDrawingProperties()),
                    new P.GroupShapeProperties(),
                    new P.Shape(
                        new P.NonVisualShapeProperties(
                            new P.NonVisualDrawingProperties { Id = 2, Name = "Title" },
                            new P.NonVisualShapeDrawingProperties(),
                            new P.ApplicationNonVisualDrawingProperties()),
                        new P.ShapeProperties(),
                        new P.TextBody(new A.BodyProperties(), new A.ListStyle(), new A.Paragraph(new A.Run(new A.Text(text))))))));
                presentation.Presentation.SlideIdList!.Append(new P.SlideId { Id = id++, RelationshipId = presentation.GetIdOfPart(slidePart) });
            }
        }
        return memory.ToArray();
    }

    public static byte[] Eml(string from, string subject, string body)
    {
        var message = new MimeMessage();
        message.From.Add(MailboxAddress.Parse(from));
        message.To.Add(MailboxAddress.Parse("records@kochimetro.org"));
        message.Subject = subject;
        message.Date = new DateTimeOffset(2026, 11, 2, 10, 0, 0, TimeSpan.FromHours(5.5));
        message.Body = new TextPart("plain") { Text = body };
        using var memory = new MemoryStream();
        message.WriteTo(memory);
        return memory.ToArray();
    }

    /// <summary>An e-mail whose only body is HTML (no text/plain alternative), as many mail clients send.</summary>
    public static byte[] HtmlOnlyEml(string from, string subject, string html)
    {
        var message = new MimeMessage();
        message.From.Add(MailboxAddress.Parse(from));
        message.To.Add(MailboxAddress.Parse("records@kochimetro.org"));
        message.Subject = subject;
        message.Date = new DateTimeOffset(2026, 11, 2, 10, 0, 0, TimeSpan.FromHours(5.5));
        message.Body = new TextPart("html") { Text = html };
        using var memory = new MemoryStream();
        message.WriteTo(memory);
        return memory.ToArray();
    }

    /// <summary>
    /// A .docx whose body holds its paragraph inside <paramref name="depth"/> nested content controls
    /// (<c>w:sdt</c>/<c>w:sdtContent</c>): valid markup, small once zipped, and at 200,000 levels deep enough to
    /// overflow the stack of a recursive parser.
    /// </summary>
    public static byte[] DeeplyNestedDocx(int depth) =>
        Nest(Docx("Nested content control"), "word/document.xml", "<w:body>", "</w:body>", "<w:sdt><w:sdtPr><w:id w:val=\"{0}\"/></w:sdtPr><w:sdtContent>", "</w:sdtContent></w:sdt>", depth);

    /// <summary>A .xlsx whose one cell's inline string sits inside <paramref name="depth"/> nested extension elements.</summary>
    public static byte[] DeeplyNestedXlsx(int depth) =>
        Nest(Xlsx("Sheet1", ["Nested cell"]), "xl/worksheets/sheet1.xml", "<x:sheetData>", "</x:sheetData>", "<x:ext uri=\"{0}\">", "</x:ext>", depth, wrapInside: false);

    /// <summary>A .pptx whose one slide nests <paramref name="depth"/> group shapes.</summary>
    public static byte[] DeeplyNestedPptx(int depth) =>
        Nest(Pptx("Nested group shapes"), "ppt/slides/slide1.xml", "<p:spTree>", "</p:spTree>", "<p:grpSp><p:nvGrpSpPr><p:cNvPr id=\"{0}\" name=\"\"/></p:nvGrpSpPr>", "</p:grpSp>", depth);

    /// <summary>
    /// Rewrites one part of a package: <paramref name="open"/> (its "{0}" a random id)/<paramref name="close"/> repeated <paramref name="depth"/>
    /// times around what lies between <paramref name="start"/> and <paramref name="end"/> (or, with
    /// <paramref name="wrapInside"/> false, next to it as an empty nested run).
    /// </summary>
    private static byte[] Nest(byte[] package, string partName, string start, string end, string open, string close, int depth, bool wrapInside = true)
    {
        using var memory = new MemoryStream();
        memory.Write(package);
        using (var zip = new ZipArchive(memory, ZipArchiveMode.Update, leaveOpen: true))
        {
            var entry = zip.Entries.Single(e => e.FullName.Equals(partName, StringComparison.OrdinalIgnoreCase));
            string xml;
            using (var reader = new StreamReader(entry.Open()))
            {
                xml = reader.ReadToEnd();
            }
            var from = xml.IndexOf(start, StringComparison.Ordinal);
            var to = xml.LastIndexOf(end, StringComparison.Ordinal);
            if (from < 0 || to < from)
            {
                throw new InvalidOperationException($"{partName} has no {start}...{end} to nest in: {xml}");
            }
            from += start.Length;
            // Each level carries its own id, as a real writer's would, so the part does not compress like a zip bomb.
            var random = new Random(18);
            var opens = string.Concat(Enumerable.Range(0, depth).Select(_ => open.Replace("{0}", random.Next(1_000).ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal)));
            var closes = string.Concat(Enumerable.Repeat(close, depth));
            var nested = wrapInside
                ? xml[..from] + opens + xml[from..to] + closes + xml[to..]
                : xml[..to] + xml[to..(to + end.Length)] + "<x:extLst>" + opens + closes + "</x:extLst>" + xml[(to + end.Length)..];
            entry.Delete();
            using var writer = new StreamWriter(zip.CreateEntry(partName, CompressionLevel.SmallestSize).Open(), new UTF8Encoding(false));
            writer.Write(nested);
        }
        return memory.ToArray();
    }

    /// <summary>An e-mail with one PDF attachment, as a department mailbox receives it; addresses as "Name &lt;address&gt;".</summary>
    public static byte[] EmlWithAttachment(string from, string to, string subject, string body, string attachmentName, byte[] attachment)
    {
        var builder = new BodyBuilder { TextBody = body };
        builder.Attachments.Add(attachmentName, attachment, new ContentType("application", "pdf"));
        var message = new MimeMessage
        {
            Subject = subject,
            MessageId = MimeKit.Utils.MimeUtils.GenerateMessageId("kmrl.example"),
            Body = builder.ToMessageBody(),
        };
        message.From.Add(MailboxAddress.Parse(from));
        message.To.Add(MailboxAddress.Parse(to));
        using var memory = new MemoryStream();
        message.WriteTo(memory);
        return memory.ToArray();
    }

    /// <summary>An OLE compound file header with a stream named EncryptedPackage: what Office writes for a password.</summary>
    public static byte[] PasswordProtectedOffice() => Ole("EncryptedPackage", "EncryptionInfo");

    public static byte[] LegacyWord() => Ole("WordDocument", "SummaryInformation");

    /// <summary>The streams of a PowerPoint 97 file encrypted with RC4 CryptoAPI: its summary moved into EncryptedSummary (MS-PPT 2.1.6).</summary>
    public static byte[] ProtectedPowerPoint() => Ole("PowerPoint Document", "Current User", "EncryptedSummary");

    private static byte[] Ole(params string[] streamNames)
    {
        var bytes = new byte[4096];
        new byte[] { 0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1 }.CopyTo(bytes, 0);
        // Directory entries: 128 bytes each, the name in UTF-16LE at the start of the entry.
        var offset = 1024;
        foreach (var name in streamNames)
        {
            Encoding.Unicode.GetBytes(name).CopyTo(bytes, offset);
            offset += 128;
        }
        return bytes;
    }

    /// <summary>A valid-looking .docx whose one extra part inflates from a few KB to <paramref name="expandedBytes"/>.</summary>
    public static byte[] ZipBombDocx(long expandedBytes)
    {
        using var memory = new MemoryStream();
        using (var zip = new ZipArchive(memory, ZipArchiveMode.Create, leaveOpen: true))
        {
            Write(zip, "[Content_Types].xml", "<Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\"/>");
            Write(zip, "word/document.xml", "<w:document xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\"/>");
            using var bomb = zip.CreateEntry("word/media/filler.bin", CompressionLevel.SmallestSize).Open();
            var zeros = new byte[1 << 20];
            for (long written = 0; written < expandedBytes; written += zeros.Length)
            {
                bomb.Write(zeros, 0, (int)Math.Min(zeros.Length, expandedBytes - written));
            }
        }
        return memory.ToArray();
    }

    public static byte[] PlainZip()
    {
        using var memory = new MemoryStream();
        using (var zip = new ZipArchive(memory, ZipArchiveMode.Create, leaveOpen: true))
        {
            Write(zip, "readme.txt", "not an office document");
        }
        return memory.ToArray();
    }

    private static void Write(ZipArchive zip, string name, string content)
    {
        using var writer = new StreamWriter(zip.CreateEntry(name).Open(), new UTF8Encoding(false));
        writer.Write(content);
    }

    /// <summary>Renders text as a scanned page (bi-level TIFF, 300 dpi) with a real font, through text2image.</summary>
    public static async Task<byte[]> RenderScanTiffAsync(string text, string font, int width = 2480, int height = 1200)
    {
        var folder = Directory.CreateTempSubdirectory("kmrl-corpus-");
        try
        {
            var input = Path.Combine(folder.FullName, "text.txt");
            await File.WriteAllTextAsync(input, text);
            await RunAsync("text2image", "--text", input, "--outputbase", Path.Combine(folder.FullName, "scan"), "--font", font,
                "--fonts_dir", "/usr/share/fonts", "--ptsize", "14", "--xsize", width.ToString(CultureInfo.InvariantCulture), "--ysize", height.ToString(CultureInfo.InvariantCulture), "--margin", "100",
                "--leading", "24", "--char_spacing", "0.0", "--exposure", "0", "--ligatures", "false");
            return await File.ReadAllBytesAsync(Path.Combine(folder.FullName, "scan.tif"));
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    /// <summary>A PNG photo of text: a text PDF rasterised by pdftoppm.</summary>
    public static async Task<byte[]> RenderPngAsync(string text)
    {
        var folder = Directory.CreateTempSubdirectory("kmrl-corpus-");
        try
        {
            var pdf = Path.Combine(folder.FullName, "in.pdf");
            await File.WriteAllBytesAsync(pdf, TextPdf(text));
            await RunAsync("pdftoppm", "-r", "200", "-gray", "-png", "-singlefile", pdf, Path.Combine(folder.FullName, "page"));
            return await File.ReadAllBytesAsync(Path.Combine(folder.FullName, "page.png"));
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    /// <summary>
    /// A PDF whose only page is a CCITT G4 image (the TIFF's strip), with no text layer: what a scanner produces.
    /// Written by hand because the PDF builder takes only PNG and JPEG.
    /// </summary>
    public static byte[] ScannedPdf(byte[] g4Tiff)
    {
        var (width, height, strip) = ReadSingleStripTiff(g4Tiff);
        var objects = new List<byte[]>
        {
            Ascii("<< /Type /Catalog /Pages 2 0 R >>"),
            Ascii("<< /Type /Pages /Kids [3 0 R] /Count 1 >>"),
            // A4 at 300 dpi is 2480 px wide: scale the image to the page's points.
            Ascii(string.Create(CultureInfo.InvariantCulture, $"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {width * 72 / 300} {height * 72 / 300}] /Resources << /XObject << /Im1 4 0 R >> >> /Contents 5 0 R >>")),
            Stream(string.Create(CultureInfo.InvariantCulture,
                $"<< /Type /XObject /Subtype /Image /Width {width} /Height {height} /BitsPerComponent 1 /ColorSpace /DeviceGray /Filter /CCITTFaxDecode /DecodeParms << /K -1 /Columns {width} /Rows {height} /BlackIs1 false >> /Length {strip.Length} >>"), strip),
            Stream(string.Create(CultureInfo.InvariantCulture, $"<< /Length {{0}} >>"), Ascii(string.Create(CultureInfo.InvariantCulture, $"q {width * 72 / 300} 0 0 {height * 72 / 300} 0 0 cm /Im1 Do Q"))),
        };
        using var pdf = new MemoryStream();
        pdf.Write(Ascii("%PDF-1.4\n%\u00e2\u00e3\n"));
        var offsets = new List<long>();
        for (var i = 0; i < objects.Count; i++)
        {
            offsets.Add(pdf.Position);
            pdf.Write(Ascii($"{i + 1} 0 obj\n"));
            pdf.Write(objects[i]);
            pdf.Write(Ascii("\nendobj\n"));
        }
        var xref = pdf.Position;
        var table = new StringBuilder($"xref\n0 {objects.Count + 1}\n0000000000 65535 f \n");
        foreach (var offset in offsets) table.Append(CultureInfo.InvariantCulture, $"{offset:D10} 00000 n \n");
        table.Append(CultureInfo.InvariantCulture, $"trailer\n<< /Size {objects.Count + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n");
        pdf.Write(Ascii(table.ToString()));
        return pdf.ToArray();
    }

    private static byte[] Stream(string dictionary, byte[] data)
    {
        var head = Ascii(dictionary.Replace("{0}", data.Length.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal) + "\nstream\n");
        return [.. head, .. data, .. Ascii("\nendstream")];
    }

    private static byte[] Ascii(string text) => Encoding.Latin1.GetBytes(text);

    private static (int Width, int Height, byte[] Strip) ReadSingleStripTiff(byte[] tiff)
    {
        if (tiff[0] != 'I') throw new InvalidDataException("Expected a little-endian TIFF from text2image.");
        var ifd = BitConverter.ToInt32(tiff, 4);
        int count = BitConverter.ToUInt16(tiff, ifd);
        int width = 0, height = 0, compression = 0;
        var offsets = new List<int>();
        var counts = new List<int>();
        for (var i = 0; i < count; i++)
        {
            var entry = ifd + 2 + i * 12;
            var tag = BitConverter.ToUInt16(tiff, entry);
            var type = BitConverter.ToUInt16(tiff, entry + 2);
            var n = BitConverter.ToInt32(tiff, entry + 4);
            int Value(int index)
            {
                var size = type == 3 ? 2 : 4;
                var at = n * size <= 4 ? entry + 8 : BitConverter.ToInt32(tiff, entry + 8);
                return type == 3 ? BitConverter.ToUInt16(tiff, at + index * size) : BitConverter.ToInt32(tiff, at + index * size);
            }
            switch (tag)
            {
                case 256: width = Value(0); break;
                case 257: height = Value(0); break;
                case 259: compression = Value(0); break;
                case 273: for (var k = 0; k < n; k++) offsets.Add(Value(k)); break;
                case 279: for (var k = 0; k < n; k++) counts.Add(Value(k)); break;
            }
        }
        if (compression != 4 || offsets.Count != 1) throw new InvalidDataException($"Expected one G4 strip, got compression {compression} with {offsets.Count} strips.");
        return (width, height, tiff.AsSpan(offsets[0], counts[0]).ToArray());
    }

    private static async Task RunAsync(string tool, params string[] arguments)
    {
        var start = new ProcessStartInfo(tool) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0) throw new InvalidOperationException($"{tool} failed: {await stderr}");
    }
}
