using System.IO.Compression;
using System.Text;
using DocumentFormat.OpenXml;
using DocumentFormat.OpenXml.Packaging;
using A = DocumentFormat.OpenXml.Drawing;
using C = DocumentFormat.OpenXml.Drawing.Charts;
using P = DocumentFormat.OpenXml.Presentation;
using S = DocumentFormat.OpenXml.Spreadsheet;

namespace Kmrl.Testing.Documents;

/// <summary>
/// OOXML markup real writers produce and a naive reader gets wrong: Word text boxes with their VML fallback, tabs,
/// breaks and hyphen characters; slides with layout, master and chart text; Excel phonetic runs. Parts are written
/// as the markup Word/PowerPoint/Excel write, through the Open XML SDK or as raw XML.
/// </summary>
public static class OoxmlCases
{
    public const string WordNamespaces =
        "xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\" " +
        "xmlns:mc=\"http://schemas.openxmlformats.org/markup-compatibility/2006\" " +
        "xmlns:wps=\"http://schemas.microsoft.com/office/word/2010/wordprocessingShape\" " +
        "xmlns:wp=\"http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing\" " +
        "xmlns:a=\"http://schemas.openxmlformats.org/drawingml/2006/main\" " +
        "xmlns:v=\"urn:schemas-microsoft-com:vml\" mc:Ignorable=\"wps\"";

    /// <summary>A .docx whose body is <paramref name="bodyXml"/> (the children of w:body, with the prefixes of <see cref="WordNamespaces"/>).</summary>
    public static byte[] WordBody(string bodyXml) => ReplacePart(TestCorpus.Docx("placeholder"), "word/document.xml",
        $"<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?><w:document {WordNamespaces}><w:body>{bodyXml}</w:body></w:document>");

    /// <summary>
    /// A paragraph anchoring a text box as Word 2010+ saves it: mc:AlternateContent with the wps shape as the choice
    /// and the same text again in a VML v:textbox as the fallback for older readers.
    /// </summary>
    public static string TextBoxParagraph(string anchorText, string boxText) =>
        $"<w:p><w:r><w:t xml:space=\"preserve\">{anchorText}</w:t></w:r><w:r><mc:AlternateContent>" +
        "<mc:Choice Requires=\"wps\"><w:drawing><wp:anchor><a:graphic><a:graphicData uri=\"http://schemas.microsoft.com/office/word/2010/wordprocessingShape\">" +
        $"<wps:wsp><wps:txbx><w:txbxContent><w:p><w:r><w:t>{boxText}</w:t></w:r></w:p></w:txbxContent></wps:txbx></wps:wsp>" +
        "</a:graphicData></a:graphic></wp:anchor></w:drawing></mc:Choice>" +
        $"<mc:Fallback><w:pict><v:shape><v:textbox><w:txbxContent><w:p><w:r><w:t>{boxText}</w:t></w:r></w:p></w:txbxContent></v:textbox></v:shape></w:pict></mc:Fallback>" +
        "</mc:AlternateContent></w:r></w:p>";

    /// <summary>
    /// A workbook whose one cell is a shared string with a phonetic run (furigana), as Japanese Excel writes it:
    /// the value is <paramref name="text"/>, the reading <paramref name="reading"/> sits in x:rPh.
    /// </summary>
    public static byte[] XlsxWithPhonetic(string text, string reading)
    {
        using var memory = new MemoryStream();
        using (var document = SpreadsheetDocument.Create(memory, SpreadsheetDocumentType.Workbook))
        {
            var workbook = document.AddWorkbookPart();
            workbook.Workbook = new S.Workbook();
            var strings = workbook.AddNewPart<SharedStringTablePart>();
            strings.SharedStringTable = new S.SharedStringTable(new S.SharedStringItem(
                new S.Text(text),
                new S.PhoneticRun(new S.Text(reading)) { BaseTextStartIndex = 0, EndingBaseIndex = (uint)text.Length },
                new S.PhoneticProperties { FontId = 1 }));
            var sheet = workbook.AddNewPart<WorksheetPart>();
            sheet.Worksheet = new S.Worksheet(new S.SheetData(new S.Row(
                new S.Cell { CellReference = "A1", DataType = S.CellValues.SharedString, CellValue = new S.CellValue("0") },
                new S.Cell { CellReference = "B1", CellValue = new S.CellValue("42") })));
            workbook.Workbook.AppendChild(new S.Sheets(new S.Sheet { Id = workbook.GetIdOfPart(sheet), SheetId = 1, Name = "Stations" }));
        }
        return memory.ToArray();
    }

    /// <summary>
    /// One slide with a two-line title (a:br) and a chart (title, series name, categories), on a layout and master
    /// that carry a visible text box each and placeholders with prompt text ("Click to edit…", never shown).
    /// </summary>
    public static byte[] PptxWithLayoutMasterAndChart(string firstLine, string secondLine, string layoutText, string masterText,
        string chartTitle, string seriesName, params string[] categories)
    {
        using var memory = new MemoryStream();
        using (var document = PresentationDocument.Create(memory, PresentationDocumentType.Presentation))
        {
            var presentation = document.AddPresentationPart();
            presentation.Presentation = new P.Presentation(new P.SlideIdList());
            var slidePart = presentation.AddNewPart<SlidePart>();
            var layoutPart = slidePart.AddNewPart<SlideLayoutPart>();
            var masterPart = layoutPart.AddNewPart<SlideMasterPart>();
            masterPart.AddPart(layoutPart);
            presentation.AddPart(masterPart);

            masterPart.SlideMaster = new P.SlideMaster(new P.CommonSlideData(Tree(
                Shape(2, "Title Placeholder", placeholder: true, new A.Paragraph(new A.Run(new A.Text("Click to edit Master title style"))))
                , Shape(3, "Footer text", placeholder: false, new A.Paragraph(new A.Run(new A.Text(masterText)))))));
            layoutPart.SlideLayout = new P.SlideLayout(new P.CommonSlideData(Tree(
                Shape(2, "Title 1", placeholder: true, new A.Paragraph(new A.Run(new A.Text("Click to add title")))),
                Shape(3, "Layout band", placeholder: false, new A.Paragraph(new A.Run(new A.Text(layoutText)))))));

            var chartPart = slidePart.AddNewPart<ChartPart>();
            chartPart.ChartSpace = new C.ChartSpace(new C.Chart(
                new C.Title(new C.ChartText(new C.RichText(new A.BodyProperties(), new A.Paragraph(new A.Run(new A.Text(chartTitle)))))),
                new C.PlotArea(new C.BarChart(
                    new C.BarDirection { Val = C.BarDirectionValues.Column },
                    new C.BarChartSeries(
                        new C.Index { Val = 0 }, new C.Order { Val = 0 },
                        new C.SeriesText(new C.StringReference(new C.Formula("Sheet1!$B$1"), new C.StringCache(new C.PointCount { Val = 1 },
                            new C.StringPoint(new C.NumericValue(seriesName)) { Index = 0 }))),
                        new C.CategoryAxisData(new C.StringReference(new C.Formula("Sheet1!$A$2:$A$3"), new C.StringCache(
                            [new C.PointCount { Val = (uint)categories.Length }, .. categories.Select((c, i) => new C.StringPoint(new C.NumericValue(c)) { Index = (uint)i })]))))))));

            slidePart.Slide = new P.Slide(new P.CommonSlideData(Tree(
                Shape(2, "Title", placeholder: true, new A.Paragraph(new A.Run(new A.Text(firstLine)), new A.Break(), new A.Run(new A.Text(secondLine)))),
                new P.GraphicFrame(
                    new P.NonVisualGraphicFrameProperties(new P.NonVisualDrawingProperties { Id = 4, Name = "Chart" },
                        new P.NonVisualGraphicFrameDrawingProperties(), new P.ApplicationNonVisualDrawingProperties()),
                    new P.Transform(),
                    new A.Graphic(new A.GraphicData(new C.ChartReference { Id = slidePart.GetIdOfPart(chartPart) }) { Uri = "http://schemas.openxmlformats.org/drawingml/2006/chart" })))));
            presentation.Presentation.SlideIdList!.Append(new P.SlideId { Id = 256, RelationshipId = presentation.GetIdOfPart(slidePart) });
        }
        return memory.ToArray();
    }

    private static P.ShapeTree Tree(params OpenXmlElement[] shapes) => new(
        [new P.NonVisualGroupShapeProperties(new P.NonVisualDrawingProperties { Id = 1, Name = "" }, new P.NonVisualGroupShapeDrawingProperties(), new P.ApplicationNonVisualDrawingProperties()),
         new P.GroupShapeProperties(), .. shapes]);

    private static P.Shape Shape(uint id, string name, bool placeholder, A.Paragraph paragraph) => new(
        new P.NonVisualShapeProperties(
            new P.NonVisualDrawingProperties { Id = id, Name = name },
            new P.NonVisualShapeDrawingProperties(),
            placeholder ? new P.ApplicationNonVisualDrawingProperties(new P.PlaceholderShape { Type = P.PlaceholderValues.Title }) : new P.ApplicationNonVisualDrawingProperties()),
        new P.ShapeProperties(),
        new P.TextBody(new A.BodyProperties(), new A.ListStyle(), paragraph));

    /// <summary>A copy of the package without one entry (e.g. [Content_Types].xml).</summary>
    public static byte[] WithoutEntry(byte[] package, string entryName)
    {
        using var memory = new MemoryStream();
        memory.Write(package);
        using (var zip = new ZipArchive(memory, ZipArchiveMode.Update, leaveOpen: true))
        {
            zip.GetEntry(entryName)?.Delete();
        }
        return memory.ToArray();
    }

    /// <summary>A minimal OpenDocument package: the stored <c>mimetype</c> entry first, a manifest and content.xml.</summary>
    public static byte[] OpenDocument(string mimeType, string contentXml)
    {
        using var memory = new MemoryStream();
        using (var zip = new ZipArchive(memory, ZipArchiveMode.Create, leaveOpen: true))
        {
            Write(zip.CreateEntry("mimetype", CompressionLevel.NoCompression), mimeType);
            Write(zip.CreateEntry("META-INF/manifest.xml"),
                "<manifest:manifest xmlns:manifest=\"urn:oasis:names:tc:opendocument:xmlns:manifest:1.0\" manifest:version=\"1.2\">" +
                $"<manifest:file-entry manifest:full-path=\"/\" manifest:media-type=\"{mimeType}\"/>" +
                "<manifest:file-entry manifest:full-path=\"content.xml\" manifest:media-type=\"text/xml\"/></manifest:manifest>");
            Write(zip.CreateEntry("content.xml"), contentXml);
        }
        return memory.ToArray();
    }

    private static byte[] ReplacePart(byte[] package, string partName, string xml)
    {
        using var memory = new MemoryStream();
        memory.Write(package);
        using (var zip = new ZipArchive(memory, ZipArchiveMode.Update, leaveOpen: true))
        {
            zip.GetEntry(partName)?.Delete();
            Write(zip.CreateEntry(partName), xml);
        }
        return memory.ToArray();
    }

    private static void Write(ZipArchiveEntry entry, string content)
    {
        using var writer = new StreamWriter(entry.Open(), new UTF8Encoding(false));
        writer.Write(content);
    }
}
